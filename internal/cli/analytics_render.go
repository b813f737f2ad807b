package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Output formats of the analytics commands.
const (
	formatTable = "table"
	formatJSON  = "json"
	formatCSV   = "csv"
)

func validateFormat(format string) error {
	switch format {
	case formatTable, formatJSON, formatCSV:
		return nil
	}
	return fmt.Errorf("invalid --format %q: use table, json or csv", format)
}

// cell is one value of a grid: text is shown in the aligned table, raw goes to CSV when it
// differs (exact bytes instead of "12 MB", the whole statement instead of its first line).
type cell struct {
	text, raw string
}

func (c cell) csvValue() string {
	if c.raw != "" {
		return c.raw
	}
	return c.text
}

func textCell(s string) cell { return cell{text: s} }

func intCell(n int64) cell { return cell{text: strconv.FormatInt(n, 10)} }

func decimalCell(d decimal.Decimal) cell { return cell{text: d.StringFixed(2), raw: d.String()} }

func floatCell(f float64, decimals int) cell {
	return cell{text: strconv.FormatFloat(f, 'f', decimals, 64), raw: strconv.FormatFloat(f, 'g', -1, 64)}
}

func bytesCell(n int64) cell {
	return cell{text: humanBytes(n), raw: strconv.FormatInt(n, 10)}
}

func timeCell(t *time.Time) cell {
	if t == nil {
		return cell{}
	}
	return cell{text: t.UTC().Format(time.RFC3339)}
}

// statementCell shows a statement on one line, cut to width runes in the table.
func statementCell(query string, width int) cell {
	line := strings.Join(strings.Fields(query), " ")
	if utf8.RuneCountInString(line) > width {
		line = string([]rune(line)[:width-1]) + "…"
	}
	return cell{text: line, raw: query}
}

// humanBytes formats n with binary units, as pg_size_pretty does.
func humanBytes(n int64) string {
	const unit = 1024
	if n < 10*unit {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	value := float64(n)
	for _, suffix := range []string{"kB", "MB", "GB", "TB"} {
		value /= unit
		if value < 10*unit || suffix == "TB" {
			return strconv.FormatFloat(value, 'f', 0, 64) + " " + suffix
		}
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// grid is a report ready for the table and CSV formats. Columns listed in right are
// right-aligned in the table.
type grid struct {
	headers []string
	right   map[int]bool
	rows    [][]cell
}

// render writes g in format, or value as JSON. value holds the typed rows, so JSON keeps
// exact decimals and full precision.
func render(w io.Writer, format string, value any, g grid) error {
	switch format {
	case formatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(value)
	case formatCSV:
		return writeCSV(w, g)
	default:
		return writeTable(w, g)
	}
}

func writeCSV(w io.Writer, g grid) error {
	out := csv.NewWriter(w)
	if err := out.Write(g.headers); err != nil {
		return err
	}
	for _, row := range g.rows {
		record := make([]string, len(row))
		for i, c := range row {
			record[i] = c.csvValue()
		}
		if err := out.Write(record); err != nil {
			return err
		}
	}
	out.Flush()
	return out.Error()
}

func writeTable(w io.Writer, g grid) error {
	widths := make([]int, len(g.headers))
	for i, h := range g.headers {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, row := range g.rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c.text))
		}
	}

	var b strings.Builder
	writeLine := func(values []string) {
		for i, v := range values {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(v))
			if i > 0 {
				b.WriteString("  ")
			}
			if g.right[i] {
				b.WriteString(pad + v)
			} else if i < len(values)-1 {
				b.WriteString(v + pad)
			} else {
				b.WriteString(v)
			}
		}
		b.WriteString("\n")
	}

	writeLine(g.headers)
	rules := make([]string, len(widths))
	for i, width := range widths {
		rules[i] = strings.Repeat("-", width)
	}
	writeLine(rules)
	for _, row := range g.rows {
		values := make([]string, len(row))
		for i, c := range row {
			values[i] = c.text
		}
		writeLine(values)
	}
	if len(g.rows) == 0 {
		b.WriteString("(no rows)\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
