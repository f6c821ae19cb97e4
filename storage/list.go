package storage

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ListDir lists the directory name one level down, like Django's
// listdir: the names of its subdirectories and of its files, relative to
// it, each in S3's (binary) order. It pages through any number of keys.
// The directory marker (the key "name/" itself) is not listed. A missing
// directory is empty, as in S3: two empty slices, never nil.
func (s *Storage) ListDir(ctx context.Context, name string) (dirs, files []string, err error) {
	prefix, err := s.dirPrefix("listdir", name)
	if err != nil {
		return nil, nil, err
	}
	dirs, files = []string{}, []string{}
	err = s.list(ctx, prefix, "/", func(page *s3.ListObjectsV2Output) error {
		for _, p := range page.CommonPrefixes {
			if d := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(p.Prefix), prefix), "/"); d != "" {
				dirs = append(dirs, d)
			}
		}
		for _, o := range page.Contents {
			if f := strings.TrimPrefix(aws.ToString(o.Key), prefix); f != "" {
				files = append(files, f)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, opError("listdir", prefix, err)
	}
	return dirs, files, nil
}

// list calls fn with every page of ListObjectsV2 for prefix, until fn
// returns an error, which list returns.
func (s *Storage) list(ctx context.Context, prefix, delim string, fn func(*s3.ListObjectsV2Output) error) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.opts.BucketName), Prefix: str0(prefix), Delimiter: str0(delim)}
	for {
		page, err := s.client.ListObjectsV2(ctx, in)
		if err != nil {
			return err
		}
		if err := fn(page); err != nil {
			return err
		}
		if !aws.ToBool(page.IsTruncated) || aws.ToString(page.NextContinuationToken) == "" {
			return nil
		}
		in.ContinuationToken = page.NextContinuationToken
	}
}

// Walk lists every object under the directory dir ("" for the whole
// location), at any depth, in S3's (binary) key order, and calls fn with
// each: Name relative to the location, Key, Size, ModTime, ETag (the other
// fields of Info are not in a listing). It pages through any number of
// keys with one ListObjectsV2 request per 1000. An error from fn stops the
// walk and is returned as it is. Directory markers (keys ending in "/")
// are skipped.
func (s *Storage) Walk(ctx context.Context, dir string, fn func(Info) error) error {
	prefix, err := s.dirPrefix("walk", dir)
	if err != nil {
		return err
	}
	loc := s.key("") // the location's prefix: "" or "loc/"
	var fnErr error
	err = s.list(ctx, prefix, "", func(page *s3.ListObjectsV2Output) error {
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if strings.HasSuffix(key, "/") || !strings.HasPrefix(key, loc) {
				continue
			}
			fnErr = fn(Info{
				Name: key[len(loc):], Key: key, Size: aws.ToInt64(o.Size),
				ModTime: utcSecond(o.LastModified), ETag: aws.ToString(o.ETag),
			})
			if fnErr != nil {
				return fnErr
			}
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return opError("walk", prefix, err)
	}
	return nil
}
