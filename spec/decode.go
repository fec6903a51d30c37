package spec

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// maxAliases bounds alias resolution, so a small file cannot expand into
// a huge one.
const maxAliases = 1000

// decoder fills a Spec from a YAML tree, following the Go types: it records
// the range of every value and collects every problem instead of stopping
// at the first.
type decoder struct {
	spec    *Spec
	errs    Errors
	bad     []string
	anchors map[string]ast.Node
	aliases int
}

// decode fills a new Spec from root. It returns the problems and the key
// paths whose values could not be decoded.
func decode(file string, root ast.Node) (*Spec, Errors, []string) {
	s := &Spec{
		file:  file,
		pos:   map[string]Range{},
		keys:  map[string]Range{},
		inner: map[string]int{},
	}
	d := &decoder{spec: s, anchors: map[string]ast.Node{}}
	ast.Walk(anchorCollector(d.anchors), root)
	d.value(root, "", reflect.ValueOf(s).Elem())
	return s, d.errs, d.bad
}

// anchorCollector records every anchor of a tree by name.
type anchorCollector map[string]ast.Node

// Visit implements ast.Visitor.
func (a anchorCollector) Visit(n ast.Node) ast.Visitor {
	if x, ok := n.(*ast.AnchorNode); ok && x.Name != nil {
		a[x.Name.GetToken().Value] = x.Value
	}
	return a
}

// fail records a problem with the value at path, which stays unset.
func (d *decoder) fail(r Range, path, msg, fix string) {
	d.report(r, path, msg, fix)
	d.bad = append(d.bad, path)
}

// report records a problem with a key at path; the value, if any, is
// still decoded or skipped on purpose.
func (d *decoder) report(r Range, path, msg, fix string) {
	d.errs = append(d.errs, newError(d.spec.file, r, path, msg, fix))
}

// value decodes n into v, whose key path is path.
func (d *decoder) value(n ast.Node, path string, v reflect.Value) {
	n, forceString := d.resolve(n, path)
	if n == nil {
		return
	}
	d.spec.pos[path] = rangeOf(n)
	if _, ok := n.(*ast.NullNode); ok {
		return
	}
	if d.special(n, path, v, forceString) {
		return
	}
	switch v.Kind() {
	case reflect.String:
		if s, ok := d.str(n, path, forceString); ok {
			v.SetString(s)
		}
	case reflect.Int:
		if i, ok := d.int(n, path); ok {
			v.SetInt(i)
		}
	case reflect.Bool:
		if b, ok := d.bool(n, path); ok {
			v.SetBool(b)
		}
	case reflect.Slice:
		d.list(n, path, v)
	case reflect.Map:
		d.vars(n, path, v)
	case reflect.Struct:
		d.mapping(n, path, v)
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		if d.mapping(n, path, elem.Elem()) {
			v.Set(elem)
		}
	default:
		panic(fmt.Sprintf("spec: no decoder for %s at %s", v.Type(), path))
	}
}

// resolve follows anchors, aliases and tags to the node that holds the
// value. It reports whether a !!str tag asks for the text as written.
func (d *decoder) resolve(n ast.Node, path string) (ast.Node, bool) {
	forceString := false
	for {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.AliasNode:
			name := x.Value.GetToken().Value
			target, ok := d.anchors[name]
			d.aliases++
			if !ok || d.aliases > maxAliases {
				d.fail(rangeOf(x), path, fmt.Sprintf("alias *%s names no anchor", name),
					fmt.Sprintf("define it first with &%s, or write the value out", name))
				return nil, false
			}
			n = target
		case *ast.TagNode:
			if tag := x.Start.Value; tag != "!!str" {
				d.fail(rangeOf(x), path, fmt.Sprintf("YAML tag %s is not supported", tag),
					"remove the tag; quote the value if it must be a string")
				return nil, false
			}
			n, forceString = x.Value, true
		default:
			return n, forceString
		}
	}
}

// mapping decodes a mapping of spec keys into the struct v. It reports
// whether n was a mapping.
func (d *decoder) mapping(n ast.Node, path string, v reflect.Value) bool {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		msg, fix := mappingHint(v.Type(), n)
		d.fail(rangeOf(n), path, msg, fix)
		return false
	}
	fields := specFields(v.Type())
	seen := map[string]Range{}
	for _, kv := range m.Values {
		key, kr, ok := d.key(kv, path)
		if !ok || strings.HasPrefix(key, "x-") {
			continue
		}
		child := fieldPath(path, key)
		if first, dup := seen[key]; dup {
			d.duplicate(kr, child, first)
			continue
		}
		seen[key] = kr
		i, known := fields[key]
		if !known {
			d.unknownKey(kr, child, key, v.Type())
			continue
		}
		d.spec.keys[child] = kr
		d.value(kv.Value, child, v.Field(i))
	}
	return true
}

// key returns the text and range of the key of kv, which must be a plain
// scalar.
func (d *decoder) key(kv *ast.MappingValueNode, parent string) (string, Range, bool) {
	kr := rangeOf(kv.Key)
	switch kv.Key.(type) {
	case *ast.MergeKeyNode:
		d.fail(kr, parent, "merge keys (<<) are not supported",
			"write the keys out, or repeat a value with an alias (*name)")
		return "", kr, false
	case *ast.MappingKeyNode:
		d.fail(kr, parent, "complex keys (?) are not supported", "use a plain key")
		return "", kr, false
	}
	if _, ok := kv.Key.(ast.ScalarNode); !ok {
		d.fail(kr, parent, "a key must be plain text", "use a plain key")
		return "", kr, false
	}
	return kv.Key.GetToken().Value, kr, true
}

// duplicate reports a key that is set twice in one mapping.
func (d *decoder) duplicate(r Range, path string, first Range) {
	d.report(r, path, fmt.Sprintf("duplicate key; it is already set on line %d", first.Line),
		"remove one of them")
}

// misplacedKeys names keys that people write where kiln has none, with the
// reason.
var misplacedKeys = map[string]string{
	"build.network": "the build step always runs without network; " +
		"dependencies are downloaded in the dependency step, which the preset defines",
	"version": "kiln.yaml has no version key; the \"# syntax=\" line on the first line " +
		"selects the kiln version",
}

// unknownKey reports a key that t does not have, suggesting the one the
// author most likely meant.
func (d *decoder) unknownKey(r Range, path, key string, t reflect.Type) {
	if why, ok := misplacedKeys[path]; ok {
		d.report(r, path, "unknown key", why)
		return
	}
	names := fieldNames(t)
	fix := "remove it (or prefix it with x- to keep it as a note); known keys here: " +
		strings.Join(names, ", ")
	if c := Closest(key, names); c != "" {
		fix = fmt.Sprintf("did you mean %q?", c)
	} else if owner := ownerOf(key, t); owner != "" {
		fix = fmt.Sprintf("%s belongs under %s: move it there", key, owner)
	}
	d.report(r, path, "unknown key", fix)
}

// ownerOf returns the name of the field of t whose struct has a key named
// key, or "".
func ownerOf(key string, t reflect.Type) string {
	for i := range t.NumField() {
		f := t.Field(i)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if !f.IsExported() || ft.Kind() != reflect.Struct {
			continue
		}
		if _, ok := specFields(ft)[key]; ok {
			return jsonName(f)
		}
	}
	return ""
}

// list decodes a YAML sequence into the slice v.
func (d *decoder) list(n ast.Node, path string, v reflect.Value) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		msg, fix := listHint(path, v.Type(), n)
		d.fail(rangeOf(n), path, msg, fix)
		return
	}
	out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, item := range seq.Values {
		d.value(item, indexPath(path, i), out.Index(i))
	}
	v.Set(out)
}

// vars decodes a mapping of user-chosen names to strings into v.
func (d *decoder) vars(n ast.Node, path string, v reflect.Value) {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		fix := "write one \"NAME: value\" line per entry"
		if _, isList := n.(*ast.SequenceNode); isList {
			fix = "write a mapping, not a list: NAME: value instead of - NAME=value"
		}
		d.fail(rangeOf(n), path, "expected a mapping of names to values, got "+describe(n), fix)
		return
	}
	out := reflect.MakeMapWithSize(v.Type(), len(m.Values))
	seen := map[string]Range{}
	for _, kv := range m.Values {
		key, kr, ok := d.key(kv, path)
		if !ok {
			continue
		}
		child := entryPath(path, key)
		if first, dup := seen[key]; dup {
			d.duplicate(kr, child, first)
			continue
		}
		seen[key] = kr
		d.spec.keys[child] = kr
		val := reflect.New(v.Type().Elem()).Elem()
		d.value(kv.Value, child, val)
		out.SetMapIndex(reflect.ValueOf(key), val)
	}
	v.Set(out)
}

// specFields maps the YAML key of every exported field of t to its index.
func specFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			out[jsonName(f)] = i
		}
	}
	return out
}

// fieldNames returns the YAML keys of t in declaration order.
func fieldNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			out = append(out, jsonName(f))
		}
	}
	return out
}

// jsonName returns the key of f: the name in its json tag.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// describe names the kind of value n holds, for messages.
func describe(n ast.Node) string {
	switch x := n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "the number " + x.GetToken().Value
	case *ast.BoolNode:
		return "the boolean " + x.GetToken().Value
	case *ast.NullNode:
		return "null"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	}
	return "a " + strings.ToLower(n.Type().String())
}
