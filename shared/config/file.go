package config

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MaxFileBytes is the most a file named by NOTIFY_GROUPS=@path or
// NOTIFY_TEMPLATES=@path may hold.
const MaxFileBytes = 1 << 20

// source is the text of a variable that may name a file, and where it
// came from.
type source struct {
	text string
	// file is the path of the file the text was read from; "" when the
	// text is the variable's own.
	file string
}

// readSource returns the value raw of variable name: raw itself, or, when
// it starts with '@', the contents of the file it names (resolveFile
// finds a relative path). ok is false, and a problem added, when the file
// cannot be read, is empty or is larger than MaxFileBytes.
//
// A UTF-8 byte order mark at the start of the text, which some editors
// write (Notepad) and `$(cat file)` passes on, is dropped, as JSON's RFC
// lets a reader do: it would be malformed JSON, at a column nothing shows.
func readSource(name, raw string, exeDir func() string, p *problems) (s source, ok bool) {
	path, isFile := strings.CutPrefix(strings.TrimSpace(raw), "@")
	if !isFile {
		return source{text: strings.TrimPrefix(raw, bom)}, true
	}
	if path == "" {
		p.add("%s: @ names no file; want @path, such as @config/groups.json", name)
		return source{}, false
	}
	dir := exeDir()
	s.file = resolveFile(path, dir)
	at := name + ": @" + path
	if s.file != path {
		at += " (" + s.file + ")"
	}
	f, err := os.Open(s.file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !filepath.IsAbs(path) && dir != "" {
			p.add("%s: no such file, nor %s beside the executable", at, filepath.Join(dir, path))
		} else {
			p.add("%s: %v", at, err)
		}
		return source{}, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	s.text = strings.TrimPrefix(string(b), bom)
	switch {
	case err != nil:
		p.add("%s: %v", at, err)
		return source{}, false
	case len(b) > MaxFileBytes:
		p.add("%s: larger than %d bytes (1 MiB)", at, MaxFileBytes)
		return source{}, false
	case strings.TrimSpace(s.text) == "":
		p.add("%s: empty", at)
		return source{}, false
	}
	return s, true
}

// bom is the UTF-8 byte order mark.
const bom = "\ufeff"

// resolveFile returns where the file at path is: path itself when it is
// absolute; else the path in exeDir, the directory of the running
// executable (where bootstrap lives in a function's package), when a file
// is there; else path in the working directory.
func resolveFile(path, exeDir string) string {
	if filepath.IsAbs(path) {
		return path
	}
	if exeDir != "" {
		if p := filepath.Join(exeDir, path); fileExists(p) {
			return p
		}
	}
	if wd, err := os.Getwd(); err == nil {
		return filepath.Join(wd, path)
	}
	return path
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// executableDir returns the directory of the running executable, or ""
// when it is not known.
func executableDir() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return filepath.Dir(exe)
}

// markSince ends each problem added to p since it held n with the file
// s was read from, if any: a problem names the file as it names the
// variable.
func (p *problems) markSince(n int, s source) {
	if s.file == "" {
		return
	}
	for i := n; i < len(*p); i++ {
		(*p)[i] += " (in file " + s.file + ")"
	}
}
