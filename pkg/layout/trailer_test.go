package layout

import "testing"

func TestRequestTrailers(t *testing.T) {
	msg := "releases hello 1.0 (request hello-1a2b applied)\n\n- adds hello 1.0\nhello v2: 2 of 2 signatures, complete\n\n" +
		RequestTrailer("hello-1a2b", RequestApplied) + "\n"
	if got := RequestTrailers(msg); got["hello-1a2b"] != RequestApplied || len(got) != 1 {
		t.Fatalf("RequestTrailers = %v", got)
	}
	// Only the last paragraph holds trailers: the same words in the body
	// (a yank reason, a note) are not one.
	body := "yanks hello 1.0\n\nreason: Tufgit-Request: hello-ffff applied\n\nhello v3: 1 of 1 signatures, complete\n"
	if got := RequestTrailers(body); len(got) != 0 {
		t.Fatalf("a trailer outside the last paragraph was read: %v", got)
	}
	for _, bad := range []string{"Tufgit-Request: hello-1a2b", "Tufgit-Request:  applied", "Tufgit-Request: a b c"} {
		if got := RequestTrailers("s\n\n" + bad); len(got) != 0 {
			t.Errorf("%q read as %v", bad, got)
		}
	}
}
