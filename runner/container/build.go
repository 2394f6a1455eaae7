package container

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// LabelImage marks the images that Build makes; LabelContext holds the
// digest of the context an image was built from.
const (
	LabelImage   = "faultline"
	LabelContext = "faultline.context"
)

// BuildSpec says what to build.
type BuildSpec struct {
	// Context is the directory sent to the engine as the build context.
	// All of it is sent; .dockerignore is not read.
	Context string
	// Dockerfile is the path of the Dockerfile, relative to Context unless
	// absolute; "Dockerfile" if empty. It may lie outside Context.
	Dockerfile string
	// Tag names the image, e.g. "shop/cache:dev".
	Tag string
}

// dockerfileInContext is where a Dockerfile from outside the context is
// put inside the context sent to the engine.
const dockerfileInContext = ".faultline.Dockerfile"

// Build builds an image from a local context with the classic builder and
// labels it faultline=1. It never pulls: every FROM must name scratch, an
// earlier stage or an image the engine already has, which is checked before
// the context is sent. A failed build returns an error with the builder's
// output.
func (e *Engine) Build(ctx context.Context, s BuildSpec) error {
	if s.Tag == "" {
		return errors.New("build: no tag given; name the image to build")
	}
	if s.Context == "" {
		return fmt.Errorf("build %s: no context directory given", s.Tag)
	}
	if fi, err := os.Stat(s.Context); err != nil {
		return fmt.Errorf("build %s: context: %w", s.Tag, err)
	} else if !fi.IsDir() {
		return fmt.Errorf("build %s: context %s is not a directory", s.Tag, s.Context)
	}
	dfPath := s.Dockerfile
	if dfPath == "" {
		dfPath = "Dockerfile"
	}
	if !filepath.IsAbs(dfPath) {
		dfPath = filepath.Join(s.Context, dfPath)
	}
	df, err := os.ReadFile(dfPath)
	if err != nil {
		return fmt.Errorf("build %s: read Dockerfile: %w", s.Tag, err)
	}
	digest, err := contextDigest(s.Context, df)
	if err != nil {
		return fmt.Errorf("build %s: read context: %w", s.Tag, err)
	}
	if ok, err := e.builtFrom(ctx, s.Tag, digest); err != nil {
		return fmt.Errorf("build %s: %w", s.Tag, err)
	} else if ok {
		// Built from this very context before: nothing to do.
		return nil
	}
	if err := e.checkFrom(ctx, dfPath, df); err != nil {
		return fmt.Errorf("build %s: %w", s.Tag, err)
	}

	// The Dockerfile is named by its path inside the context; one from
	// outside the context is added to it under a name of its own.
	inContext := ""
	if rel, err := filepath.Rel(s.Context, dfPath); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		inContext = filepath.ToSlash(rel)
	}
	extra := map[string][]byte{}
	if inContext == "" {
		inContext = dockerfileInContext
		extra[inContext] = df
	}

	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(writeContext(pw, s.Context, extra))
	}()
	defer pr.Close()

	res, err := e.cli.ImageBuild(ctx, pr, client.ImageBuildOptions{
		Tags:        []string{s.Tag},
		Dockerfile:  inContext,
		Remove:      true,
		ForceRemove: true,
		Labels:      map[string]string{LabelImage: "1", LabelContext: digest},
		Version:     build.BuilderV1,
	})
	if err != nil {
		return fmt.Errorf("build %s: %w", s.Tag, err)
	}
	defer res.Body.Close()

	var out bytes.Buffer
	dec := json.NewDecoder(res.Body)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("build %s: read builder output: %w\n%s", s.Tag, err, out.String())
		}
		out.WriteString(m.Stream)
		if m.Error != nil {
			return fmt.Errorf("build %s: %s\nbuilder output:\n%s", s.Tag, strings.TrimSpace(m.Error.Message), out.String())
		}
	}
	ok, err := e.ImageExists(ctx, s.Tag)
	if err != nil {
		return fmt.Errorf("build %s: %w", s.Tag, err)
	}
	if !ok {
		return fmt.Errorf("build %s: the builder reported no error but the image is missing\nbuilder output:\n%s", s.Tag, out.String())
	}
	return nil
}

// checkFrom checks that every FROM of a Dockerfile can be satisfied
// without a pull.
func (e *Engine) checkFrom(ctx context.Context, path string, df []byte) error {
	stages := map[string]bool{}
	for _, f := range froms(df) {
		switch {
		case strings.EqualFold(f.image, "scratch"), stages[strings.ToLower(f.image)]:
		case strings.Contains(f.image, "$"):
			return fmt.Errorf("%s:%d: FROM %s uses a build argument, so faultline cannot check that the image is local; write the image name out", path, f.line, f.image)
		default:
			ok, err := e.ImageExists(ctx, f.image)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("%s:%d: FROM %s: %w: faultline never pulls; build that image first, or start FROM scratch with a static binary (CGO_ENABLED=0 go build -trimpath)", path, f.line, f.image, ErrImageMissing)
			}
		}
		if f.stage != "" {
			stages[strings.ToLower(f.stage)] = true
		}
	}
	return nil
}

type from struct {
	line         int
	image, stage string
}

// froms lists the FROM instructions of a Dockerfile: the image and the
// stage name, if any. Flags such as --platform are skipped.
func froms(df []byte) []from {
	var out []from
	sc := bufio.NewScanner(bytes.NewReader(df))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		start := n
		for strings.HasSuffix(line, "\\") && sc.Scan() {
			n++
			line = strings.TrimSuffix(line, "\\") + " " + strings.TrimSpace(sc.Text())
		}
		fields := strings.Fields(line)
		if len(fields) < 2 || !strings.EqualFold(fields[0], "FROM") {
			continue
		}
		args := fields[1:]
		for len(args) > 0 && strings.HasPrefix(args[0], "--") {
			args = args[1:]
		}
		if len(args) == 0 {
			continue
		}
		f := from{line: start, image: args[0]}
		if len(args) >= 3 && strings.EqualFold(args[1], "AS") {
			f.stage = args[2]
		}
		out = append(out, f)
	}
	return out
}

// writeContext writes dir as a tar stream, plus the extra files given.
// UpToDate reports whether the image s.Tag exists and was built from
// s's context as it is now, so that Build would do nothing.
func (e *Engine) UpToDate(ctx context.Context, s BuildSpec) (bool, error) {
	dfPath := s.Dockerfile
	if dfPath == "" {
		dfPath = "Dockerfile"
	}
	if !filepath.IsAbs(dfPath) {
		dfPath = filepath.Join(s.Context, dfPath)
	}
	df, err := os.ReadFile(dfPath)
	if err != nil {
		return false, fmt.Errorf("build %s: read Dockerfile: %w", s.Tag, err)
	}
	digest, err := contextDigest(s.Context, df)
	if err != nil {
		return false, fmt.Errorf("build %s: read context: %w", s.Tag, err)
	}
	return e.builtFrom(ctx, s.Tag, digest)
}

// builtFrom reports whether image tag exists with the context digest.
func (e *Engine) builtFrom(ctx context.Context, tag, digest string) (bool, error) {
	img, ok, err := e.inspectImage(ctx, tag)
	if err != nil || !ok {
		return false, err
	}
	return img.Config != nil && img.Config.Labels[LabelContext] == digest, nil
}

// contextDigest is a digest of the names, modes and contents of the
// files under dir, and of the Dockerfile df: the same context gives the
// same digest whatever the files' times.
func contextDigest(dir string, df []byte) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "dockerfile %d\n", len(df))
	h.Write(df)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v %d\n", filepath.ToSlash(rel), fi.Mode(), fi.Size())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			io.WriteString(h, link)
		case fi.Mode().IsRegular():
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(h, f); err != nil {
				return err
			}
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

func writeContext(w io.Writer, dir string, extra map[string][]byte) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return fmt.Errorf("pack build context %s: %w", dir, err)
	}
	for name, data := range extra {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	return tw.Close()
}
