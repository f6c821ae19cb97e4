package main

import (
	"fmt"
	"io"
	"sync/atomic"

	"github.com/schollz/progressbar/v3"
)

// bar reports a transfer: a progress bar on a terminal, one plain line at
// the end otherwise.
type bar struct {
	c     *cli
	desc  string
	size  int64
	pb    *progressbar.ProgressBar // nil when stderr is not a terminal
	bytes atomic.Int64
}

func (c *cli) progress(desc string, size int64) *bar {
	b := &bar{c: c, desc: desc, size: size}
	if c.terminal {
		b.pb = progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(c.stderr),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100_000_000), // 100 ms
			progressbar.OptionClearOnFinish(),
		)
	}
	return b
}

func (b *bar) add(n int) {
	if n <= 0 {
		return
	}
	total := b.bytes.Add(int64(n))
	if b.pb != nil && total <= b.size {
		b.pb.Add(n)
	}
}

// done ends the bar; without a terminal it writes nothing: the command
// prints its one result line.
func (b *bar) done(err error) {
	if b.pb == nil {
		return
	}
	if err == nil {
		b.pb.Finish()
		return
	}
	b.pb.Exit()
	fmt.Fprintln(b.c.stderr)
}

// reader counts what is read from r. It keeps r's ReadAt and Seek, so
// that Put still reads a file in place, in concurrent parts.
func (b *bar) reader(r io.Reader) io.Reader {
	if ras, ok := r.(readerAtSeeker); ok {
		return &countingFile{ras, b}
	}
	return &countingReader{r, b}
}

type countingReader struct {
	r io.Reader
	b *bar
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.b.add(n)
	return n, err
}

type countingFile struct {
	readerAtSeeker
	b *bar
}

func (c *countingFile) Read(p []byte) (int, error) {
	n, err := c.readerAtSeeker.Read(p)
	c.b.add(n)
	return n, err
}

func (c *countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.readerAtSeeker.ReadAt(p, off)
	c.b.add(n)
	return n, err
}
