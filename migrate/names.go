package migrate

import (
	"regexp"
	"strings"
)

var createConcurrently = regexp.MustCompile(`(?is)^\s*create\s+(?:unique\s+)?index\s+concurrently\s+` +
	`(?:if\s+not\s+exists\s+)?("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)`)

// concurrentIndexName returns the index a CREATE INDEX CONCURRENTLY statement builds, or "".
func concurrentIndexName(stmt string) string {
	m := createConcurrently.FindStringSubmatch(stmt)
	if m == nil {
		return ""
	}
	name := m[1]
	if strings.HasPrefix(name, `"`) {
		return strings.ReplaceAll(name[1:len(name)-1], `""`, `"`)
	}
	return strings.ToLower(name)
}
