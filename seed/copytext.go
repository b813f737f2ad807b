package seed

import (
	"encoding/hex"
	"strconv"
	"time"
)

// The appenders write rows in PostgreSQL's COPY text format: columns separated by a tab, rows
// ended by a newline, \N for NULL and backslash escapes inside values. Workers format rows in
// parallel, so the single COPY stream only moves bytes.

func appendUser(b []byte, u *userRow) []byte {
	b = strconv.AppendInt(b, u.id, 10)
	b = append(b, '\t')
	b = appendText(b, u.name)
	b = append(b, '\t')
	b = appendText(b, u.email)
	b = append(b, '\t')
	b = appendText(b, DemoPasswordHash)
	b = append(b, '\t')
	b = appendTime(b, u.created)
	b = append(b, '\t')
	b = appendTime(b, u.updated)
	b = append(b, '\t')
	if u.deleted.IsZero() {
		b = append(b, `\N`...)
	} else {
		b = appendTime(b, u.deleted)
	}
	return append(b, '\n')
}

func appendProduct(b []byte, p *productRow) []byte {
	b = strconv.AppendInt(b, p.id, 10)
	b = append(b, '\t')
	b = appendText(b, p.name)
	b = append(b, '\t')
	b = appendCents(b, p.priceCents)
	return append(b, '\n')
}

func appendOrder(b []byte, o *orderRow) []byte {
	b = strconv.AppendInt(b, o.id, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, o.userID, 10)
	b = append(b, '\t')
	b = appendTime(b, o.created)
	return append(b, '\n')
}

func appendItem(b []byte, it *itemRow) []byte {
	b = strconv.AppendInt(b, it.id, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, it.orderID, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, it.productID, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(it.quantity), 10)
	b = append(b, '\t')
	b = appendCents(b, it.unitPriceCents)
	return append(b, '\n')
}

func appendToken(b []byte, t *tokenRow) []byte {
	b = strconv.AppendInt(b, t.id, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, t.userID, 10)
	b = append(b, '\t')
	// bytea in hex form, \x escaped as \\x because COPY text reads backslashes as escapes.
	b = append(b, `\\x`...)
	b = hex.AppendEncode(b, t.hash[:])
	b = append(b, '\t')
	b = appendTime(b, t.created)
	b = append(b, '\t')
	b = appendTime(b, t.expires)
	return append(b, '\n')
}

// appendTime writes a UTC timestamptz literal with whole seconds.
func appendTime(b []byte, t time.Time) []byte {
	b = t.UTC().AppendFormat(b, "2006-01-02 15:04:05")
	return append(b, "+00"...)
}

// appendCents writes a non-negative amount of cents as a numeric(10,2) literal.
func appendCents(b []byte, cents int64) []byte {
	b = strconv.AppendInt(b, cents/100, 10)
	b = append(b, '.')
	if cents%100 < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, cents%100, 10)
}

// appendText escapes the characters that COPY text format treats specially.
func appendText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			b = append(b, c)
		}
	}
	return b
}
