package lint

import (
	"regexp"
	"strings"

	atlas "ariga.io/atlas/sql/schema"
)

var (
	reRenameColumn = regexp.MustCompile(`(?is)^\s*alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?("(?:[^"]|"")+"|[\w.]+)\s+` +
		`rename\s+(?:column\s+)?("(?:[^"]|"")+"|\w+)\s+to\s+("(?:[^"]|"")+"|\w+)\s*;?\s*$`)
	reRenameTable = regexp.MustCompile(`(?is)^\s*alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?("(?:[^"]|"")+"|[\w.]+)\s+` +
		`rename\s+to\s+("(?:[^"]|"")+"|\w+)\s*;?\s*$`)
)

// fixRenames turns the drop-and-add pair that a schema diff reports for a RENAME statement
// back into a rename, as the Atlas CLI's statement parser does. The analyzers then report a
// rename instead of a dropped column or table.
func fixRenames(stmt string, changes atlas.Changes) atlas.Changes {
	if m := reRenameTable.FindStringSubmatch(stmt); m != nil {
		from, to := ident(m[1]), ident(m[2])
		i, j := changes.IndexDropTable(from), changes.IndexAddTable(to)
		if i == -1 || j == -1 {
			return changes
		}
		rename := &atlas.RenameTable{From: changes[i].(*atlas.DropTable).T, To: changes[j].(*atlas.AddTable).T}
		return replacePair(changes, i, j, rename)
	}
	m := reRenameColumn.FindStringSubmatch(stmt)
	if m == nil {
		return changes
	}
	from, to := ident(m[2]), ident(m[3])
	for _, c := range changes {
		mt, ok := c.(*atlas.ModifyTable)
		if !ok {
			continue
		}
		sub := atlas.Changes(mt.Changes)
		i, j := sub.IndexDropColumn(from), sub.IndexAddColumn(to)
		if i == -1 || j == -1 {
			continue
		}
		rename := &atlas.RenameColumn{From: sub[i].(*atlas.DropColumn).C, To: sub[j].(*atlas.AddColumn).C}
		mt.Changes = replacePair(sub, i, j, rename)
	}
	return changes
}

func replacePair(changes atlas.Changes, i, j int, with atlas.Change) atlas.Changes {
	var out atlas.Changes
	for k, c := range changes {
		switch k {
		case i:
			out = append(out, with)
		case j:
		default:
			out = append(out, c)
		}
	}
	return out
}

// ident returns the unquoted, case-folded name PostgreSQL would use, without a schema prefix.
func ident(s string) string {
	if i := strings.LastIndex(s, "."); i >= 0 && !strings.HasSuffix(s, `"`) {
		s = s[i+1:]
	}
	if strings.HasPrefix(s, `"`) && strings.HasSuffix(s, `"`) && len(s) >= 2 {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return strings.ToLower(s)
}
