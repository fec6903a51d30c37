package spec

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// yaml11Bools are plain words that YAML 1.1 reads as booleans. The YAML
// 1.2 parser kiln uses reads them as text, but other tools that touch the
// same file may not.
var yaml11Bools = map[string]bool{"yes": true, "no": true, "on": true, "off": true}

// str decodes a string value. Numbers, booleans and YAML 1.1 booleans
// must be quoted: some would not read back as the text the author wrote
// (1.20 is 1.2), and the JSON schema accepts only strings.
func (d *decoder) str(n ast.Node, path string, forceString bool) (string, bool) {
	r := rangeOf(n)
	text := n.GetToken().Value
	quote := fmt.Sprintf("quote it: %q", text)
	switch x := n.(type) {
	case *ast.StringNode:
		if x.Token.Type == token.StringType && !forceString && yaml11Bools[strings.ToLower(text)] {
			d.fail(r, path, text+" is a boolean in YAML 1.1, which many tools still read", quote)
			return "", false
		}
		if c := textStart(x); c > 0 {
			d.spec.inner[path] = c
		}
		return x.Value, true
	case *ast.LiteralNode:
		return x.Value.Value, true
	case *ast.IntegerNode:
		if forceString {
			return text, true
		}
		msg := fmt.Sprintf("%s is read as a number, not as text", text)
		if got := fmt.Sprint(x.Value); got != text {
			msg = fmt.Sprintf("%s is read as the number %s, not as the text %s", text, got, text)
		}
		d.fail(r, path, msg, quote)
	case *ast.FloatNode:
		if forceString {
			return text, true
		}
		got := strconv.FormatFloat(x.Value, 'f', -1, 64)
		msg := fmt.Sprintf("%s is read as a number, not as text", text)
		if got != text {
			msg = fmt.Sprintf("%s is read as the number %s, not as the text %s", text, got, text)
		}
		d.fail(r, path, msg, quote)
	case *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if forceString {
			return text, true
		}
		d.fail(r, path, fmt.Sprintf("%s is read as %s, not as text", text, describe(n)), quote)
	default:
		d.fail(r, path, "expected a string, got "+describe(n), "write a single value")
	}
	return "", false
}

// int decodes a whole number.
func (d *decoder) int(n ast.Node, path string) (int64, bool) {
	if x, ok := n.(*ast.IntegerNode); ok {
		if i, ok := intValue(x); ok {
			return i, true
		}
	}
	fix := "write a whole number, such as 3"
	if s, ok := n.(*ast.StringNode); ok && isDigits(s.Value) {
		if tk := s.GetToken(); tk != nil && (tk.Type == token.SingleQuoteType ||
			tk.Type == token.DoubleQuoteType) {
			fix = "remove the quotes: " + s.Value
		} else if _, err := strconv.ParseInt(s.Value, 10, 64); errors.Is(err, strconv.ErrRange) {
			d.fail(rangeOf(n), path, s.Value+" is too large a number",
				"write a whole number, such as 3")
			return 0, false
		} else {
			fix = "write it without leading zeros: " + cmp.Or(strings.TrimLeft(s.Value, "0"), "0")
		}
	}
	d.fail(rangeOf(n), path, "expected a whole number, got "+describe(n), fix)
	return 0, false
}

// intValue returns the value of n when it fits an int64.
func intValue(n *ast.IntegerNode) (int64, bool) {
	switch v := n.Value.(type) {
	case int64:
		return v, true
	case uint64:
		return int64(v), v <= math.MaxInt64
	}
	return 0, false
}

// bool decodes true or false.
func (d *decoder) bool(n ast.Node, path string) (bool, bool) {
	if x, ok := n.(*ast.BoolNode); ok {
		return x.Value, true
	}
	d.fail(rangeOf(n), path, "expected true or false, got "+describe(n),
		"write true or false, unquoted")
	return false, false
}

// special decodes the values whose Go type has its own YAML form. It
// reports whether v was one of them.
func (d *decoder) special(n ast.Node, path string, v reflect.Value, forceString bool) bool {
	switch p := v.Addr().Interface().(type) {
	case *User:
		d.user(n, path, p, forceString)
	case *Port:
		d.port(n, path, p)
	case *FileMode:
		d.fileMode(n, path, p)
	case *Duration:
		d.duration(n, path, p)
	default:
		return false
	}
	return true
}

// user decodes a user as a number or a "uid:gid" string.
func (d *decoder) user(n ast.Node, path string, u *User, forceString bool) {
	if x, ok := n.(*ast.IntegerNode); ok {
		if i, ok := intValue(x); ok && i >= 0 && i <= 1<<31-1 {
			*u = normalizeUser(strconv.FormatInt(i, 10))
			return
		}
		d.fail(rangeOf(n), path, "user id "+x.Token.Value+" is out of range",
			"use a number from 0 to 2147483647, such as 65532")
		return
	}
	if _, ok := n.(ast.ScalarNode); !ok {
		d.fail(rangeOf(n), path, "expected a user, got "+describe(n),
			"write a number such as 65532 or a \"uid:gid\" string such as \"65532:65532\"")
		return
	}
	if s, ok := d.str(n, path, forceString); ok {
		*u = normalizeUser(s)
	}
}

// portText matches a port written as a string, such as "8080/tcp".
var portText = regexp.MustCompile(`^([0-9]+)(?:/([a-z]+))?$`)

// port decodes a port as a number or a "number/protocol" string.
func (d *decoder) port(n ast.Node, path string, p *Port) {
	r := rangeOf(n)
	text := ""
	switch x := n.(type) {
	case *ast.IntegerNode:
		text = x.Token.Value
	case *ast.StringNode:
		text = x.Value
	}
	m := portText.FindStringSubmatch(text)
	num, err := 0, error(nil)
	if m != nil {
		num, err = strconv.Atoi(m[1])
	}
	if err != nil {
		d.fail(r, path, fmt.Sprintf("port %s is out of range", m[1]), "use a port from 1 to 65535")
		return
	}
	if m == nil {
		if lower := strings.ToLower(text); lower != text && portText.MatchString(lower) {
			d.fail(r, path, fmt.Sprintf("the protocol in %q is not lowercase", text),
				fmt.Sprintf("write it in lowercase: %q", lower))
			return
		}
		d.fail(r, path, "expected a port, got "+describe(n),
			"write a number such as 8080 or a string such as \"8080/tcp\"")
		return
	}
	p.Number, p.Protocol = num, m[2]
	if p.Protocol == "" {
		p.Protocol = "tcp"
	}
}

// octalMode matches a file mode written as three or four octal digits.
var octalMode = regexp.MustCompile(`^[0-7]{3,4}$`)

// fileMode decodes a permission mode from a quoted octal string.
func (d *decoder) fileMode(n ast.Node, path string, m *FileMode) {
	r := rangeOf(n)
	if x, ok := n.(*ast.IntegerNode); ok {
		text := x.Token.Value
		want := fmt.Sprintf("%04o", x.Value)
		if octalMode.MatchString(text) {
			want = strings.Repeat("0", 4-len(text)) + text
		}
		msg := fmt.Sprintf("%s is the decimal number %v, not an octal file mode", text, x.Value)
		if x.Token.Type != token.IntegerType {
			msg = fmt.Sprintf("unquoted %s is a number whose meaning differs between "+
				"YAML versions", text)
			want = "0" + strings.TrimLeft(strings.TrimPrefix(text, "0o"), "0")
		}
		fix := fmt.Sprintf("write the mode as a quoted octal string: %q", want)
		if !octalMode.MatchString(want) { // a hex, negative or huge number
			fix = "write it as a quoted octal string such as \"0755\" or \"0644\""
		}
		d.fail(r, path, msg, fix)
		return
	}
	s, ok := n.(*ast.StringNode)
	if !ok || !octalMode.MatchString(s.Value) {
		d.fail(r, path, "expected an octal file mode, got "+describe(n),
			"write it as a quoted octal string such as \"0755\" or \"0644\"")
		return
	}
	v, _ := strconv.ParseUint(s.Value, 8, 32)
	if v == 0 {
		d.fail(r, path, "mode 0000 gives no one access to the file",
			"use a mode such as \"0755\" or \"0644\", or leave mode out")
		return
	}
	*m = FileMode(v)
}

// duration decodes a span of time from a string such as "30s".
func (d *decoder) duration(n ast.Node, path string, out *Duration) {
	r := rangeOf(n)
	if x, ok := n.(*ast.IntegerNode); ok {
		d.fail(r, path, "a duration needs a unit",
			fmt.Sprintf("write it with a unit, such as %q", x.Token.Value+"s"))
		return
	}
	s, ok := n.(*ast.StringNode)
	var dur time.Duration
	var err error
	if ok {
		dur, err = time.ParseDuration(s.Value)
	}
	if !ok || err != nil {
		d.fail(r, path, "expected a duration, got "+describe(n),
			"write a number with a unit, such as 30s, 500ms or 1m30s")
		return
	}
	if dur < 0 {
		d.fail(r, path, "a duration cannot be negative", "use a positive duration such as 30s")
		return
	}
	*out = Duration(dur)
}

// execForm reports whether the list at path is a command in exec form.
func execForm(path string) bool {
	return strings.HasSuffix(path, ".entrypoint") || strings.HasSuffix(path, ".cmd") ||
		strings.HasSuffix(path, ".exec")
}

// asList renders the words of a command as a YAML flow list.
func asList(command string) string {
	return "[" + strings.Join(strings.Fields(command), ", ") + "]"
}

// listHint explains a value that should have been a list.
func listHint(path string, t reflect.Type, n ast.Node) (string, string) {
	msg := "expected a list, got " + describe(n)
	s, isString := n.(*ast.StringNode)
	switch {
	case isString && execForm(path):
		return "a command written as a string is shell form, and distroless images " +
				"have no shell",
			"write the exec form, a list: " + asList(s.Value)
	case isString && t.Elem().Kind() == reflect.String:
		return msg, fmt.Sprintf("write it as a list: [%s]", s.Value)
	case t.Elem() == reflect.TypeFor[Port]():
		if sc, ok := n.(ast.ScalarNode); ok {
			return msg, fmt.Sprintf("write it as a list: [%v]", sc.GetToken().Value)
		}
		return msg, "write it as a list, such as [8080]"
	case t.Elem().Kind() == reflect.Struct:
		return msg, "write a list of mappings, one \"- key: value\" item each"
	}
	return msg, "write one \"- value\" line per item"
}

// mappingHint explains a value that should have been a mapping of type t.
func mappingHint(t reflect.Type, n ast.Node) (string, string) {
	s, isString := n.(*ast.StringNode)
	if t == reflect.TypeFor[Healthcheck]() && isString {
		return "a health check written as a string is shell form, and distroless images " +
				"have no shell",
			"write the exec form: {exec: " + asList(s.Value) + "}"
	}
	return "expected a mapping, got " + describe(n),
		"write keys such as: " + strings.Join(fieldNames(t), ", ")
}
