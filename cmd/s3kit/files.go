package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/s3kit/s3kit/storage"
)

func runURL(ctx context.Context, c *cli, fl *flag.FlagSet, args []string) error {
	sf := addStorageFlags(fl, "default")
	expire := fl.Duration("expire", 0, "how long a signed URL stays valid (default: the storage's querystring_expire)")
	download := fl.Bool("download", false, "make the browser download the file (Content-Disposition: attachment)")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		return usagef("want one NAME, got %d arguments", fl.NArg())
	}
	st, err := c.open(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	opts := &storage.URLOptions{Expire: *expire}
	if *download {
		opts.ResponseContentDisposition = storage.Attachment(path.Base(fl.Arg(0)))
	}
	u, err := st.media.URL(ctx, fl.Arg(0), opts)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, u)
	if st.embedded != nil {
		fmt.Fprintln(c.stderr, "s3kit: the URL is served by this command's embedded server, which stops with it; run \"s3kit serve\" to keep one up")
	}
	return nil
}

func runLs(ctx context.Context, c *cli, fl *flag.FlagSet, args []string) error {
	sf := addStorageFlags(fl, "default")
	recursive := fl.Bool("r", false, "list the whole tree below DIR, with sizes and times")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() > 1 {
		return usagef("want at most one DIR, got %d arguments", fl.NArg())
	}
	st, err := c.open(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	dir := fl.Arg(0)
	if *recursive {
		return st.media.Walk(ctx, dir, func(info storage.Info) error {
			_, err := fmt.Fprintf(c.stdout, "%12d  %s  %s\n", info.Size, info.ModTime.Format(time.DateTime), info.Name)
			return err
		})
	}
	dirs, files, err := st.media.ListDir(ctx, dir)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		fmt.Fprintln(c.stdout, d+"/")
	}
	for _, f := range files {
		fmt.Fprintln(c.stdout, f)
	}
	return nil
}

func runPut(ctx context.Context, c *cli, fl *flag.FlagSet, args []string) error {
	sf := addStorageFlags(fl, "default")
	overwrite := fl.Bool("overwrite", false, "replace a file of the same name (default: the storage's file_overwrite; the embedded server's renames, a taken name getting a suffix)")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() < 1 || fl.NArg() > 2 {
		return usagef("want FILE [NAME], got %d arguments", fl.NArg())
	}
	src := fl.Arg(0)
	name := fl.Arg(1)
	if name == "" {
		name = filepath.Base(src)
	}
	f, err := os.Open(src)
	if err != nil {
		return err // "open x.txt: no such file or directory"
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory", src)
	}
	st, err := c.open(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	conflict := storage.ConflictDefault // the storage's file_overwrite
	if *overwrite {
		conflict = storage.ConflictOverwrite
	}
	bar := c.progress("put "+name, fi.Size())
	info, err := st.media.Put(ctx, name, bar.reader(f), &storage.SaveOptions{Conflict: conflict, SHA256: true})
	bar.done(err)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s\t%d bytes\t%s\t%s\tsha256 %s\n", info.Name, fi.Size(), info.ContentType, confirmed(info), info.SHA256)
	return nil
}

// confirmed says which checksum S3 confirmed for a stored file:
// "CRC64NVME <base64> (FULL_OBJECT)", or "no checksum" (checksum_algorithm
// none, or a service that keeps none).
func confirmed(info storage.Info) string {
	if info.ChecksumAlgorithm == "" {
		return "no checksum"
	}
	return fmt.Sprintf("%s %s (%s)", info.ChecksumAlgorithm, info.Checksum, info.ChecksumType)
}

// readerAtSeeker is what Put reads in place (a file), kept through the
// progress bar.
type readerAtSeeker interface {
	io.Reader
	io.ReaderAt
	io.Seeker
}

func runGet(ctx context.Context, c *cli, fl *flag.FlagSet, args []string) error {
	sf := addStorageFlags(fl, "default")
	force := fl.Bool("f", false, "replace FILE if it exists")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() < 1 || fl.NArg() > 2 {
		return usagef("want NAME [FILE], got %d arguments", fl.NArg())
	}
	name, dst := fl.Arg(0), fl.Arg(1)
	if dst == "" {
		dst = path.Base(name)
	}
	if dst != "-" && !*force {
		if _, err := os.Lstat(dst); err == nil {
			return fmt.Errorf("%s exists (use -f to replace it)", dst)
		}
	}
	st, err := c.open(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	f, err := st.media.Open(ctx, name)
	if err != nil {
		if errors.Is(err, storage.ErrNotExist) {
			return fmt.Errorf("%s: no such file in %s", name, st.where)
		}
		return err
	}
	defer f.Close()
	if dst == "-" {
		_, err := io.Copy(c.stdout, f)
		return err
	}
	size := f.Info().Size // stored bytes: the bar is approximate for a gzip object, which Size would read whole
	// Into a temporary file beside dst, renamed when complete: an
	// interrupted get leaves no partial file.
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".s3kit-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	bar := c.progress("get "+name, size)
	size, err = io.Copy(tmp, bar.reader(f))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	bar.done(err)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s\t%d bytes\n", dst, size)
	return nil
}

func runRm(ctx context.Context, c *cli, fl *flag.FlagSet, args []string) error {
	sf := addStorageFlags(fl, "default")
	missingOK := fl.Bool("f", false, "do not complain about names that do not exist")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		return usagef("want at least one NAME")
	}
	st, err := c.open(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	var failed []string
	for _, name := range fl.Args() {
		if !*missingOK {
			// S3 deletes a missing key without a word; rm says so, as rm(1) does.
			ok, err := st.media.Exists(ctx, name)
			if err != nil {
				return err
			}
			if !ok {
				fmt.Fprintf(c.stderr, "s3kit rm: %s: no such file\n", name)
				failed = append(failed, name)
				continue
			}
		}
		if err := st.media.Delete(ctx, name); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d names did not exist: %s", len(failed), fl.NArg(), strings.Join(failed, ", "))
	}
	return nil
}
