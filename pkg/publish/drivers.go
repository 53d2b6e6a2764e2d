package publish

// The bucket drivers OpenMirror's URLs need, registered here, where they are
// used: a program that imports pkg/publish alone can publish to every
// scheme OpenMirror documents (TestMirrorDriversRegisteredHere).
import (
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/fileblob"  // file://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/s3blob"    // s3://
)
