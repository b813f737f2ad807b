package migrate

import "regexp"

var createConcurrently = regexp.MustCompile(`(?is)^\s*create\s+(?:unique\s+)?index\s+concurrently\s+` +
	`(?:if\s+not\s+exists\s+)?("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)`)

// concurrentIndexName returns the index a CREATE INDEX CONCURRENTLY statement builds, or "".
func concurrentIndexName(stmt string) string {
	m := createConcurrently.FindStringSubmatch(stmt)
	if m == nil {
		return ""
	}
	return unquote(m[1])
}

var dropConcurrently = regexp.MustCompile(`(?is)^\s*drop\s+index\s+concurrently\s+(?:if\s+exists\s+)?` +
	`("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\s*;?\s*$`)

// droppedIndexName returns the index a DROP INDEX CONCURRENTLY statement drops, or "".
func droppedIndexName(stmt string) string {
	m := dropConcurrently.FindStringSubmatch(stmt)
	if m == nil {
		return ""
	}
	return unquote(m[1])
}
