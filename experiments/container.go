package experiments

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Defaults and limits of the container block.
const (
	DefaultContainerReadyTimeout = 30 * time.Second
	DefaultDockerfile            = "Dockerfile"
	// MinMemory is the smallest memory limit Docker accepts (6 MiB),
	// for the memory argument and the memory fault.
	MinMemory = 6 << 20
	// MaxMemory bounds memory limits (1 TiB).
	MaxMemory = 1 << 40
	// MinCPUs is the smallest CPU limit Docker accepts, in cores.
	MinCPUs = 0.01
	// MaxCPUs bounds CPU limits, in cores.
	MaxCPUs = 1024
)

// Runtime block types of a component.
const (
	blockProcess   = "process"
	blockContainer = "container"
)

var containerSchema = bodySchema{
	where: "a container block",
	attrs: []attrSpec{
		{name: "image", required: true, example: `image = "faultline/shop:dev"`},
		{name: "command"},
		{name: "env"},
		{name: "port", required: true, example: "port = 8080"},
		{name: "cpus"},
		{name: "memory"},
	},
	blocks: []blockSpec{
		{typ: "build", example: `build { ... }`},
		{typ: "ready", example: `ready { ... }`},
	},
}

var buildSchema = bodySchema{
	where: "a build block",
	attrs: []attrSpec{
		{name: "context", required: true, example: `context = "./services/shop"`},
		{name: "dockerfile"},
	},
}

var containerReadySchema = bodySchema{
	where: "the ready block of a container",
	attrs: []attrSpec{
		{name: "http"},
		{name: "log"},
		{name: "timeout"},
	},
}

// runtimeOf returns the runtime block type of a component body: the type
// of its first process, container or endpoint block, or "" when it has
// none.
func runtimeOf(body *hclsyntax.Body) string {
	for _, b := range body.Blocks {
		if (b.Type == blockProcess || b.Type == blockContainer || b.Type == blockEndpoint) && len(b.Labels) == 0 {
			return b.Type
		}
	}
	return ""
}

func (d *decoder) decodeContainer(blk *hclsyntax.Block) (*Container, hcl.Diagnostics) {
	ct := &Container{Ready: ContainerReadiness{Timeout: DefaultContainerReadyTimeout}, DeclRange: blk.DefRange()}
	c, diags := content(blk.Body, blk.DefRange(), containerSchema)

	builds := c.blocksOf("build")
	if len(builds) > 0 {
		b, more := d.decodeBuild(builds[0])
		diags = append(diags, more...)
		ct.Build = b
		for _, dup := range builds[1:] {
			diags = append(diags, errorAt(dup.DefRange(), "Duplicate build block",
				fmt.Sprintf("A build block was previously declared at %s. A container is built from one context: remove one of them.", Location(builds[0].DefRange()))))
		}
	}
	if a := c.attrs["image"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, checkImage(a, s, len(builds) > 0)...)
			ct.Image = s
		}
	}
	if a := c.attrs["command"]; a != nil {
		ct.Command = a.Expr
		ct.CommandText = strings.Join(strings.Fields(string(a.Expr.Range().SliceBytes(d.src))), " ")
		diags = append(diags, d.checkCommand(a, blockContainer)...)
	}
	if a := c.attrs["env"]; a != nil {
		ct.Env = a.Expr
		diags = append(diags, d.checkEnv(a, blockContainer)...)
	}
	if a := c.attrs["port"]; a != nil {
		v, more := intValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, valueRange(a, float64(v), v >= 1 && v <= 65535, "it is the TCP port the container serves on and must be from 1 to 65535, like 8080")...)
			ct.Port = int(v)
		}
	}
	if a := c.attrs["cpus"]; a != nil {
		v, more := cpusValue(a)
		diags = append(diags, more...)
		ct.CPUs = v
	}
	if a := c.attrs["memory"]; a != nil {
		v, more := memoryValue(a)
		diags = append(diags, more...)
		ct.MemoryBytes = v
	}

	readies := c.blocksOf("ready")
	if len(readies) > 0 {
		r, more := decodeContainerReady(readies[0])
		diags = append(diags, more...)
		ct.Ready = r
		for _, dup := range readies[1:] {
			diags = append(diags, errorAt(dup.DefRange(), "Duplicate ready block",
				fmt.Sprintf("A ready block was previously declared at %s. A container has at most one: remove one of them.", Location(readies[0].DefRange()))))
		}
	}
	return ct, diags
}

// decodeBuild decodes a build block and checks that its context is a
// directory holding the Dockerfile.
func (d *decoder) decodeBuild(blk *hclsyntax.Block) (*ContainerBuild, hcl.Diagnostics) {
	b := &ContainerBuild{Dockerfile: DefaultDockerfile}
	c, diags := content(blk.Body, blk.DefRange(), buildSchema)

	contextOK := false
	if a := c.attrs["context"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		switch {
		case more.HasErrors():
		case s == "":
			diags = append(diags, errorAt(a.Expr.Range(), "Invalid build context",
				`The argument "context" is empty. Give the directory to build the image from, relative to the experiment file, like "./services/shop".`))
		default:
			b.Context = filepath.Clean(s)
			if !filepath.IsAbs(s) {
				b.Context = filepath.Join(d.dir, s)
			}
			info, err := os.Stat(b.Context)
			switch {
			case err != nil:
				diags = append(diags, errorAt(a.Expr.Range(), "Invalid build context",
					fmt.Sprintf("The build context %s cannot be read: %s. A relative path is relative to the experiment file's directory; give the directory that holds the Dockerfile.", b.Context, errorText(err))))
			case !info.IsDir():
				diags = append(diags, errorAt(a.Expr.Range(), "Invalid build context",
					fmt.Sprintf("The build context %s is a file, not a directory. Give the directory that holds the Dockerfile.", b.Context)))
			default:
				contextOK = true
			}
		}
	}

	var dockerfile *hclsyntax.Attribute
	if a := c.attrs["dockerfile"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		switch {
		case more.HasErrors():
			contextOK = false
		case !filepath.IsLocal(s):
			contextOK = false
			diags = append(diags, errorAt(a.Expr.Range(), "Invalid Dockerfile",
				fmt.Sprintf("The Dockerfile %q is not a relative path inside the build context. Give its path relative to the context directory, like %q.", s, DefaultDockerfile)))
		default:
			b.Dockerfile = filepath.ToSlash(filepath.Clean(s))
			dockerfile = a
		}
	}
	if contextOK {
		path := filepath.Join(b.Context, filepath.FromSlash(b.Dockerfile))
		info, err := os.Stat(path)
		var problem string
		switch {
		case err != nil:
			problem = fmt.Sprintf("The Dockerfile %s cannot be read: %s.", path, errorText(err))
		case !info.Mode().IsRegular():
			problem = fmt.Sprintf("The Dockerfile %s is not a regular file.", path)
		}
		if problem != "" {
			r := blk.DefRange()
			fix := fmt.Sprintf(" Add a %s to the build context, or name the one to use with dockerfile = \"<path inside the context>\".", DefaultDockerfile)
			if dockerfile != nil {
				r = dockerfile.Expr.Range()
				fix = " Give its path relative to the context directory."
			}
			diags = append(diags, errorAt(r, "Invalid Dockerfile", problem+fix))
		}
	}
	return b, diags
}

// errorText is an error's message without the path os.PathError repeats.
func errorText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		err = pe.Err
	}
	return err.Error()
}

func decodeContainerReady(blk *hclsyntax.Block) (ContainerReadiness, hcl.Diagnostics) {
	r := ContainerReadiness{Timeout: DefaultContainerReadyTimeout}
	c, diags := content(blk.Body, blk.DefRange(), containerReadySchema)
	httpAttr, logAttr := c.attrs["http"], c.attrs["log"]
	if httpAttr != nil && logAttr != nil {
		first, second := httpAttr, logAttr
		if second.SrcRange.Start.Byte < first.SrcRange.Start.Byte {
			first, second = second, first
		}
		diags = append(diags, errorAt(second.NameRange, "Conflicting readiness checks",
			fmt.Sprintf("The ready block already waits on %s, set at %s. A container is ready either when its HTTP path answers (http) or when its output prints a line (log), not both: remove one of them.", first.Name, Location(first.NameRange))))
	}
	diags = append(diags, decodeHTTPAndTimeout(c, &r.HTTPPath, &r.Timeout)...)
	if a := logAttr; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, checkPattern(a, s)...)
			r.Log = s
		}
	}
	return r, diags
}

// checkPattern reports a log pattern that is not a usable regular
// expression.
func checkPattern(a *hclsyntax.Attribute, s string) hcl.Diagnostics {
	if s == "" {
		return hcl.Diagnostics{errorAt(a.Expr.Range(), "Invalid regular expression",
			`The argument "log" is empty, which every line matches. Give a pattern of the line the container prints once it serves, like "listening on".`)}
	}
	if _, err := regexp.Compile(s); err != nil {
		msg := err.Error()
		if e, ok := err.(*syntax.Error); ok {
			msg = fmt.Sprintf("%s in %q", e.Code, e.Expr)
		}
		return hcl.Diagnostics{errorAt(a.Expr.Range(), "Invalid regular expression",
			fmt.Sprintf("The argument \"log\" is not a regular expression: %s. Write it in Go's RE2 syntax, like \"listening on :[0-9]+\"; escape a literal backslash as \\\\ in HCL strings.", msg))}
	}
	return nil
}

// imageRe is the form of an image reference: an optional registry host,
// a lowercase path, an optional tag and an optional digest.
var imageRe = func() *regexp.Regexp {
	const (
		alnum      = `[a-z0-9]+`
		separator  = `(?:[._]|__|-+)`
		component  = alnum + `(?:` + separator + alnum + `)*`
		domainPart = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
		domain     = domainPart + `(?:\.` + domainPart + `)*(?::[0-9]+)?`
		name       = `(?:` + domain + `/)?` + component + `(?:/` + component + `)*`
		tag        = `[\w][\w.-]{0,127}`
		digest     = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
	)
	return regexp.MustCompile(`^(` + name + `)(?::` + tag + `)?(@` + digest + `)?$`)
}()

// maxImageName bounds the name part of an image reference, as Docker does.
const maxImageName = 255

// checkImage reports an image reference Docker would refuse, and a
// digest on an image built from a context (a build names a tag).
func checkImage(a *hclsyntax.Attribute, s string, built bool) hcl.Diagnostics {
	const example = `"faultline/shop:dev"`
	m := imageRe.FindStringSubmatch(s)
	switch {
	case s == "":
		return hcl.Diagnostics{errorAt(a.Expr.Range(), "Invalid image reference",
			fmt.Sprintf(`The argument "image" is empty. Name the image to run, or the tag to build it as, like %s.`, example))}
	case m == nil:
		hint := ""
		if lower := strings.ToLower(s); lower != s && imageRe.MatchString(lower) {
			hint = fmt.Sprintf(" Image names are lowercase: did you mean %q?", lower)
		}
		return hcl.Diagnostics{errorAt(a.Expr.Range(), "Invalid image reference",
			fmt.Sprintf("%q is not an image reference.%s Write a lowercase name with an optional tag, like %s.", s, hint, example))}
	case len(m[1]) > maxImageName:
		return hcl.Diagnostics{errorAt(a.Expr.Range(), "Invalid image reference",
			fmt.Sprintf("The image name is %d characters long; Docker accepts at most %d. Use a shorter name.", len(m[1]), maxImageName))}
	case built && m[2] != "":
		return hcl.Diagnostics{errorAt(a.Expr.Range(), "Invalid image reference",
			fmt.Sprintf("The image %q has a digest, but an image built from a context is named by a tag: remove %q, like %s.", s, m[2], example))}
	}
	return nil
}

// cpusValue reads a CPU limit in cores.
func cpusValue(a *hclsyntax.Attribute) (float64, hcl.Diagnostics) {
	v, diags := numberValue(a)
	if diags.HasErrors() {
		return 0, diags
	}
	diags = append(diags, valueRange(a, v, v >= MinCPUs && v <= MaxCPUs,
		"it is a number of CPU cores and must be at least 0.01 (Docker's smallest limit) and at most 1024, like 0.5 for half a core")...)
	return v, diags
}

// memoryRe matches a memory size: a number and an optional unit.
var memoryRe = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$`)

// memoryUnits are the units of a memory size. As in Docker, KB and KiB
// are both 1024 bytes, and so on.
var memoryUnits = map[string]int64{
	"B": 1, "KB": 1 << 10, "KiB": 1 << 10, "MB": 1 << 20, "MiB": 1 << 20, "GB": 1 << 30, "GiB": 1 << 30, "TB": 1 << 40, "TiB": 1 << 40,
}

var memoryUnitNames = []string{"B", "KB", "KiB", "MB", "MiB", "GB", "GiB", "TB", "TiB"}

// memoryValue reads a memory limit: a string with a unit, like "256MiB",
// or a whole number of bytes. It must be at least MinMemory.
func memoryValue(a *hclsyntax.Attribute) (int64, hcl.Diagnostics) {
	const want = `a memory size, like "256MiB", or a whole number of bytes`
	v, diags := constant(a, cty.DynamicPseudoType, want)
	if v == cty.NilVal {
		return 0, diags
	}
	var n float64
	number := false
	switch v.Type() {
	case cty.Number:
		bf := v.AsBigFloat()
		if !bf.IsInt() {
			return 0, append(diags, errorAt(a.Expr.Range(), "Invalid memory size",
				fmt.Sprintf("The argument %q is %s, but a number of bytes is whole. Write a whole number, or a size with a unit like \"256MiB\".", a.Name, bf.Text('g', 10))))
		}
		n, _ = bf.Float64()
		number = true
	case cty.String:
		s := v.AsString()
		m := memoryRe.FindStringSubmatch(s)
		mult, ok := int64(0), false
		if m != nil {
			if m[2] == "" {
				mult, ok = 1, true
			} else {
				mult, ok = memoryUnits[m[2]]
			}
		}
		if !ok {
			hint := ""
			if m != nil {
				hint = didYouMean(m[2], memoryUnitNames)
			}
			return 0, append(diags, errorAt(a.Expr.Range(), "Invalid memory size",
				fmt.Sprintf("%q is not a memory size.%s Write a number and a unit (%s), like \"256MiB\" or \"1GiB\".", s, hint, wordList(memoryUnitNames, "or"))))
		}
		f, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return 0, append(diags, errorAt(a.Expr.Range(), "Invalid memory size",
				fmt.Sprintf("%q is not a memory size: %s is not a number. Write it like \"256MiB\".", s, m[1])))
		}
		n = f * float64(mult)
	default:
		return 0, append(diags, errorAt(a.Expr.Range(), "Incorrect value type",
			fmt.Sprintf("The argument %q must be %s, but it is %s.", a.Name, want, typeNoun(v.Type()))))
	}
	n = math.Round(n)
	if n < MinMemory || n > MaxMemory || math.IsNaN(n) {
		detail := fmt.Sprintf("The memory limit %s is out of range: Docker accepts no limit below 6MiB, and faultline none above 1TiB.", formatBytes(n))
		if number && n >= 1 && n*(1<<20) >= MinMemory && n*(1<<20) <= MaxMemory {
			detail += fmt.Sprintf(" A number is a count of bytes: for %g mebibytes, write \"%gMiB\".", n, n)
		} else {
			detail += ` Write a size like "64MiB" or "1GiB".`
		}
		return 0, append(diags, errorAt(a.Expr.Range(), "Value out of range", detail))
	}
	return int64(n), diags
}

// formatBytes renders a byte count for messages, in the largest binary
// unit that divides it.
func formatBytes(n float64) string {
	if n >= 1 && n <= MaxMemory*1024 && n == math.Trunc(n) {
		i := int64(n)
		for _, u := range []struct {
			name string
			size int64
		}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
			if i%u.size == 0 {
				return fmt.Sprintf("%d%s", i/u.size, u.name)
			}
		}
	}
	return strconv.FormatFloat(n, 'g', -1, 64) + " bytes"
}
