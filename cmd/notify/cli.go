package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/kong"
)

// cli is notify's command line: the server's commands, and those of a
// client of a running gateway.
type cli struct {
	Serve   serveCmd   `cmd:"" default:"1" help:"Serve every function on one local HTTP server (the default)."`
	Migrate migrateCmd `cmd:"" help:"Apply the store's schema migrations and exit."`
	Version versionCmd `cmd:"" help:"Print the build: module version, VCS revision and time, Go version, os/arch."`
	Send    sendCmd    `cmd:"" help:"Send an SMS, a voice call or a mail through a running gateway."`
	Code    codeCmd    `cmd:"" help:"Send or check a verification code through a running gateway."`
	Status  statusCmd  `cmd:"" help:"Show what became of messages sent through a running gateway."`

	AliyunQueues aliyunQueuesCmd `cmd:"" name:"aliyun-queues" help:"Make the MNS queues s.yaml points at (or set their attributes), with your Aliyun keys."`
}

// streams are where a command writes: its output, and its errors and
// progress.
type streams struct {
	out, err io.Writer
}

// The exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1 // the gateway refused, could not be reached, or the server stopped on an error
	exitUsage   = 2
	description = "notify: a gateway for SMS, voice calls and mail. With no command, it serves every function locally."
)

// usageError is a command line that parses but does not make sense, such
// as two flags that exclude each other: exit status 2, as a parse error.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exited is what kong's Exit panics with (for --help), so that run returns
// the status instead of ending the process.
type exited int

// run parses args and runs the command they name, and returns the exit
// status: 0 done, 1 refused or failed, 2 a usage error (named on std.err).
func run(ctx context.Context, args []string, std streams, getenv func(string) string) (status int) {
	var c cli
	parser, err := kong.New(&c, kong.Name("notify"), kong.Description(description),
		kong.Writers(std.out, std.err), kong.Exit(func(code int) { panic(exited(code)) }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}))
	if err != nil {
		fmt.Fprintf(std.err, "notify: %v\n", err)
		return exitFailed
	}
	defer func() {
		if p := recover(); p != nil {
			code, ok := p.(exited)
			if !ok {
				panic(p)
			}
			status = int(code)
		}
	}()
	if err := utf8Args(args); err != nil {
		fmt.Fprintf(std.err, "notify: %v\n", err)
		return exitUsage
	}
	if len(args) > 0 && args[0] == "help" {
		// notify help [command...], as go help and git help take it: the
		// command's --help.
		args = append(slices.Clone(args[1:]), "--help")
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		help := "notify --help"
		var pe *kong.ParseError
		if errors.As(err, &pe) && pe.Context != nil && pe.Context.Command() != "" {
			help = "notify " + pe.Context.Command() + " --help"
		}
		fmt.Fprintf(std.err, "notify: %v (see %s)\n", err, help)
		return exitUsage
	}
	kctx.BindTo(ctx, (*context.Context)(nil))
	err = kctx.Run(std, env(getenv))
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(std.err, "notify: %v (see notify %s --help)\n", err, kctx.Command())
		return exitUsage
	}
	fmt.Fprintf(std.err, "notify: %v\n", err)
	return exitFailed
}

// env reads the server's environment: the process's, over the embedded
// defaults.
type env func(string) string

// utf8Args refuses an argument that is not UTF-8 (a terminal, or a file
// name, in GBK), naming its flag: JSON would send its bytes as U+FFFD,
// as it would a CSV file's, which --csv refuses too.
func utf8Args(args []string) error {
	for i, a := range args {
		if utf8.ValidString(a) {
			continue
		}
		name := fmt.Sprintf("argument %d", i+1)
		if f, _, _ := strings.Cut(a, "="); strings.HasPrefix(a, "-") && utf8.ValidString(f) {
			name = f
		} else if i > 0 && strings.HasPrefix(args[i-1], "-") && !strings.Contains(args[i-1], "=") && utf8.ValidString(args[i-1]) {
			name = args[i-1]
		}
		return usagef("%s: not UTF-8 (GBK, say): set the terminal, and name the files, in UTF-8", name)
	}
	return nil
}
