package npy

import (
	"strconv"
	"strings"
)

type header struct {
	descr   string
	fortran bool
	shape   []int
}

// parseHeader parses the Python dict literal of a .npy header, such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (10, 28, 28), }.
func parseHeader(s string) (header, error) {
	var h header
	p := &lexer{s: strings.TrimSpace(s)}
	if !p.eat('{') {
		return h, formatErrorf("header is not a dict literal; the file is corrupt")
	}
	seen := map[string]bool{}
	for {
		p.skipSpace()
		if p.eat('}') {
			break
		}
		key, ok := p.str()
		if !ok {
			return h, formatErrorf("header: expected a quoted key at offset %d; the file is corrupt", p.i)
		}
		p.skipSpace()
		if !p.eat(':') {
			return h, formatErrorf("header: expected ':' after %q; the file is corrupt", key)
		}
		p.skipSpace()
		switch key {
		case "descr":
			v, ok := p.str()
			if !ok {
				return h, formatErrorf("header: descr is not a simple dtype string (structured arrays are not supported); save a plain array")
			}
			h.descr = v
		case "fortran_order":
			switch {
			case p.word("True"):
				h.fortran = true
			case p.word("False"):
				h.fortran = false
			default:
				return h, formatErrorf("header: fortran_order is not True or False; the file is corrupt")
			}
		case "shape":
			shape, ok := p.tuple()
			if !ok {
				return h, formatErrorf("header: shape is not a tuple of non-negative integers; the file is corrupt")
			}
			h.shape = shape
		default:
			return h, formatErrorf("header: unexpected key %q; the file is corrupt", key)
		}
		seen[key] = true
		p.skipSpace()
		if p.eat(',') {
			continue
		}
		p.skipSpace()
		if p.eat('}') {
			break
		}
		return h, formatErrorf("header: expected ',' or '}' at offset %d; the file is corrupt", p.i)
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, formatErrorf("header lacks %q; the file is corrupt", k)
		}
	}
	return h, nil
}

type lexer struct {
	s string
	i int
}

func (p *lexer) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *lexer) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *lexer) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

func (p *lexer) str() (string, bool) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, true
}

func (p *lexer) tuple() ([]int, bool) {
	if !p.eat('(') {
		return nil, false
	}
	shape := []int{}
	for {
		p.skipSpace()
		if p.eat(')') {
			return shape, true
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		// Python 2 era files may write long integers as 10L.
		num := p.s[start:p.i]
		p.eat('L')
		v, err := strconv.Atoi(num)
		if err != nil || v < 0 || v > 1<<40 {
			return nil, false
		}
		shape = append(shape, v)
		p.skipSpace()
		if p.eat(',') {
			continue
		}
		p.skipSpace()
		if p.eat(')') {
			return shape, true
		}
		return nil, false
	}
}
