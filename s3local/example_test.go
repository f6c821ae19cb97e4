package s3local_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/s3local"
)

// Start a server on loopback and use it with aws-sdk-go-v2, as any S3.
func ExampleStart() {
	srv, err := s3local.Start(s3local.Options{
		Credentials: []s3local.Credential{{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "example-secret"}},
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	if err := srv.CreateBucket("media"); err != nil {
		panic(err)
	}

	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL()),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "example-secret", ""),
	})
	ctx := context.Background()
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("media"), Key: aws.String("hello.txt"),
		Body: strings.NewReader("hello, s3local"), ContentType: aws.String("text/plain"),
	}); err != nil {
		panic(err)
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("media"), Key: aws.String("hello.txt")})
	if err != nil {
		panic(err)
	}
	defer out.Body.Close()
	body, _ := io.ReadAll(out.Body)
	fmt.Printf("%s (%s)\n", body, aws.ToString(out.ContentType))
	// Output: hello, s3local (text/plain)
}

// A DiskStore keeps each object as a plain file under its key, and
// survives restarts.
func ExampleNewDiskStore() {
	dir, err := os.MkdirTemp("", "s3local-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	store, err := s3local.NewDiskStore(dir)
	if err != nil {
		panic(err)
	}
	srv := s3local.New(s3local.Options{Store: store})
	srv.CreateBucket("media")
	if _, err := srv.PutObject("media", "notes/today.txt", []byte("remember the milk"), nil); err != nil {
		panic(err)
	}
	store.Close()

	b, _ := os.ReadFile(filepath.Join(dir, "media", "notes", "today.txt"))
	fmt.Printf("on disk: %s\n", b)

	store, err = s3local.NewDiskStore(dir) // a restart
	if err != nil {
		panic(err)
	}
	defer store.Close()
	o, ok := s3local.New(s3local.Options{Store: store}).Object("media", "notes/today.txt")
	fmt.Printf("after a restart: %q %v, %d bytes\n", o.Key, ok, o.Size)
	// Output:
	// on disk: remember the milk
	// after a restart: "notes/today.txt" true, 17 bytes
}
