package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/s3kit/s3kit/s3local"
)

// command is one subcommand. Its run adds its own flags to fl, which
// main made with the command's usage line, and parses args with them.
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, c *cli, fl *flag.FlagSet, args []string) error
}

// commandList returns the subcommands, in the order usage lists them.
func commandList() []command {
	return []command{
		{"serve", "[flags]", "serve uploads, redirects and static files (embedded S3 when no bucket is set)", runServe},
		{"url", "[flags] NAME", "print the URL of a stored file", runURL},
		{"ls", "[flags] [DIR]", "list a directory (-r: the whole tree)", runLs},
		{"put", "[flags] FILE [NAME]", "store FILE under NAME (default: its base name)", runPut},
		{"get", "[flags] NAME [FILE]", "fetch NAME into FILE (default: its base name; - for standard output)", runGet},
		{"rm", "[flags] NAME...", "delete stored files", runRm},
		{"collectstatic", "[flags] [prefix=]DIR...", "hash, rewrite and upload static files with their manifest", runCollectstatic},
		{"doctor", "[flags]", "probe the S3 service for what it supports and what the current settings need", runDoctor},
	}
}

// cli is what every command shares: where it writes, the environment it
// reads, and whether standard error is a terminal (for progress bars).
type cli struct {
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
	terminal       bool
	stopSignals    func() // gives SIGINT/SIGTERM their default effect back; nil in tests

	// s3Intercept, set by tests, sees every request of the embedded
	// server this process starts (s3local.Options.Intercept).
	s3Intercept func(op string, r *http.Request) *s3local.Error
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &cli{stdout: os.Stdout, stderr: os.Stderr, lookupEnv: os.LookupEnv, terminal: isTerminal(os.Stderr), stopSignals: stop}
	os.Exit(env.main(ctx, os.Args[1:]))
}

// main runs one command line and returns the exit status.
func (c *cli) main(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		c.usage()
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, cmd := range commandList() {
		if cmd.name != args[0] {
			continue
		}
		err := cmd.run(ctx, c, c.flagSet(cmd), args[1:])
		var ue *usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(c.stderr, "s3kit %s: %s\nRun 's3kit %s -h' for help.\n", cmd.name, ue.msg, cmd.name)
			return 2
		}
		fmt.Fprintf(c.stderr, "s3kit %s: %v\n", cmd.name, err)
		return 1
	}
	fmt.Fprintf(c.stderr, "s3kit: unknown command %q\n", args[0])
	c.usage()
	return 2
}

func (c *cli) usage() {
	fmt.Fprintln(c.stderr, "Usage: s3kit COMMAND [flags] [args]")
	fmt.Fprintln(c.stderr)
	for _, cmd := range commandList() {
		fmt.Fprintf(c.stderr, "  %-14s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintln(c.stderr)
	fmt.Fprintln(c.stderr, "Storages come from the AWS_* environment or -config FILE (Django's STORAGES as JSON);")
	fmt.Fprintln(c.stderr, "with no bucket configured (or with -data or -memory), the embedded development server on -data (./s3kit-data).")
	fmt.Fprintln(c.stderr, "Run 's3kit COMMAND -h' for the flags of a command.")
}

// flagSet returns an empty flag set for cmd, printing its usage line on -h.
func (c *cli) flagSet(cmd command) *flag.FlagSet {
	fl := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fl.SetOutput(c.stderr)
	fl.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: s3kit %s %s\n\n%s.\n\nFlags:\n", cmd.name, cmd.args, capitalize(cmd.summary))
		fl.PrintDefaults()
	}
	return fl
}

// parse parses args. -h prints the usage; a bad flag is a usage error,
// reported in one line by main.
func parse(fs *flag.FlagSet, args []string) error {
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage()
		return err
	case err != nil:
		return usagef("%v", err)
	}
	return nil
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
