package layout

import "strings"

// What happened to a request, as tufgit's commits record it in a git
// trailer ("Tufgit-Request: ID applied") and as GoneError reports it. The
// trailer is part of an unsigned commit message: tufgit reads it only to
// explain where a request went, never to decide what is trusted.
const (
	RequestTrailerKey = "Tufgit-Request"

	RequestApplied   = "applied"
	RequestWithdrawn = "withdrawn"
	RequestRemoved   = "removed"
)

// RequestTrailer is the trailer line that records what happened to request
// id.
func RequestTrailer(id, what string) string { return RequestTrailerKey + ": " + id + " " + what }

// RequestTrailers reads the Tufgit-Request trailers of a commit message:
// request id to what happened to it. Trailers are the lines of the
// message's last paragraph, as git interpret-trailers reads them; a line
// that is not "Tufgit-Request: ID WHAT" is ignored.
func RequestTrailers(msg string) map[string]string {
	msg = strings.TrimRight(msg, "\n")
	last := msg
	if i := strings.LastIndex(msg, "\n\n"); i >= 0 {
		last = msg[i+2:]
	}
	out := map[string]string{}
	for _, line := range strings.Split(last, "\n") {
		v, ok := strings.CutPrefix(line, RequestTrailerKey+": ")
		if !ok {
			continue
		}
		id, what, ok := strings.Cut(strings.TrimSpace(v), " ")
		if ok && id != "" && !strings.ContainsAny(what, " \t") && what != "" {
			out[id] = what
		}
	}
	return out
}
