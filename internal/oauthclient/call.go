package oauthclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// endpointCall is a request to an endpoint other than the token endpoint:
// a discovery document (RFC 8414 §3) or a revocation (RFC 7009 §2). It goes
// through the Client's HTTP client, per-attempt timeout, backoff and
// Retry-After handling, like a token request; what the answer means is left
// to the caller.
type endpointCall struct {
	// what names the request in messages and logs: "discovery request",
	// "revocation request".
	what   string
	method string
	url    string
	// shown is url as messages show it: RedactURL's form, scrubbed.
	shown string
	hc    *http.Client
	rd    *redactor
	// build returns the body of one attempt and sets its headers; it is
	// called for every attempt, so that a signed client assertion is
	// never replayed (RFC 7523 §3 item 7).
	build func() ([]byte, func(*http.Request), error)
	// logFields are added to every log event of the call.
	logFields map[string]any
}

// endpointAnswer is the answer to the last attempt of an endpointCall.
type endpointAnswer struct {
	status int
	header http.Header
	data   []byte
	// tooLarge: the body exceeded MaxResponseBytes and data is nil.
	tooLarge bool
}

// do sends ec, retrying network errors (but those another attempt cannot
// mend, see isPermanentTransportError), 429 and 5xx with backoff, honouring
// Retry-After (RFC 9110 §10.2.3, RFC 7009 §2.2.1) up to the client's cap and
// never past the context's deadline. It returns the last answer, whatever
// its status, or the error of a request that got no answer.
func (c *Client) do(ctx context.Context, ec *endpointCall) (*endpointAnswer, error) {
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, ec.stopped(err)
		}
		body, header, err := ec.build()
		if err != nil {
			return nil, err
		}
		start := time.Now()
		status, h, data, err := c.doOnce(ctx, ec.hc, ec.method, ec.url, body, header)
		var (
			ans        *endpointAnswer
			result     error
			retry      bool
			retryAfter time.Duration
			hasRA      bool
		)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ec.stopped(ctx.Err())
		case errors.Is(err, ErrBodyTooLarge):
			ans = &endpointAnswer{status: status, header: h, tooLarge: true}
		case err != nil:
			result = c.callNetworkError(ec, err, attempt)
			retry = !isPermanentTransportError(err)
		default:
			ans = &endpointAnswer{status: status, header: h, data: data}
			if retryableStatus(status) {
				retry = true
				retryAfter, hasRA = parseRetryAfter(h.Get("Retry-After"), timeNow())
			}
		}
		c.logCall(ctx, ec, ec.what, map[string]any{
			"attempt": attempt, "status": status, "duration_ms": time.Since(start).Milliseconds(), "error": result,
		})
		if !retry || attempt >= c.attempts {
			return ans, result
		}
		wait := backoff(c.backoffBase, c.backoffMax, attempt)
		if hasRA {
			wait = max(wait, min(retryAfter, c.retryAfterMax))
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			// Waiting would outlast the caller: report what happened.
			return ans, result
		}
		c.logCall(ctx, ec, ec.what+" retry", map[string]any{"attempt": attempt, "wait_ms": wait.Milliseconds()})
		if err := c.sleep(ctx, wait); err != nil {
			return nil, ec.stopped(err)
		}
	}
}

// stopped reports a call ended by its context.
func (ec *endpointCall) stopped(err error) error {
	return &scrubbedError{msg: fmt.Sprintf("oauthclient: %s to %q stopped: %v", ec.what, ec.shown, err), err: err}
}

// callNetworkError reports a call that got no answer, the network's text
// cleaned and scrubbed, the endpoint and attempt count composed around it.
func (c *Client) callNetworkError(ec *endpointCall, err error, attempt int) error {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	what := inner.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		what = fmt.Sprintf("no answer within the %s timeout", c.timeout)
	}
	return &scrubbedError{
		msg: fmt.Sprintf("oauthclient: %s to %q failed after %d attempt(s): %s", ec.what, ec.shown, attempt, ec.rd.serverText(what, maxNetworkText)),
		err: err,
	}
}

// logCall sends a log event for ec; a nil "error" field is left out.
func (c *Client) logCall(ctx context.Context, ec *endpointCall, msg string, extra map[string]any) {
	if c.opts.Logger == nil {
		return
	}
	fields := map[string]any{"url": ec.shown}
	for k, v := range ec.logFields {
		fields[k] = v
	}
	for k, v := range extra {
		if k == "error" {
			if err, ok := v.(error); ok && err != nil {
				// Built from scrubbed parts.
				fields[k] = err.Error()
			}
			continue
		}
		fields[k] = v
	}
	c.opts.Logger(ctx, msg, fields)
}

// redirectTarget names the target of a refused redirect for a message: the
// Location resolved against from, shown through RedactURL, and cleaned and
// scrubbed like any server text (a Location header can echo anything).
func redirectTarget(from *url.URL, location string, rd *redactor) string {
	if location == "" {
		return "no Location"
	}
	u, err := from.Parse(location)
	if err != nil {
		return rd.quoteServerText(location, maxServerText)
	}
	shown := RedactURL(u.String())
	return rd.quoteServerText(shown, maxServerText)
}

// answerDetail says what the body of an unexpected answer held, for a
// message, without quoting the server's bytes as sent: "an empty body", "an
// HTML page", a JSON object re-encoded with only the fields describeFields
// shows, the size of JSON that does not parse, or an excerpt of text,
// cleaned and scrubbed. It also returns the JSON object, when the body was
// one, and registers the tokens the body carried with rd.
func answerDetail(contentType string, body []byte, rd *redactor) (map[string]any, string) {
	mt := contentType
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = strings.ToLower(strings.TrimSpace(mt))
	trimmed := bytes.TrimLeft(body, " \t\r\n\ufeff")
	switch {
	case len(trimmed) == 0:
		return nil, "an empty body"
	case mt == "text/html" || mt == "application/xhtml+xml" || trimmed[0] == '<':
		if strings.Contains(mt, "xml") && !strings.Contains(mt, "html") {
			return nil, "an XML body"
		}
		return nil, "an HTML page"
	}
	// Tokens may sit where parsing does not reach them: find them by name.
	rd.addLoose(string(trimmed))
	if trimmed[0] == '{' || trimmed[0] == '[' {
		var fields map[string]any
		d := json.NewDecoder(bytes.NewReader(trimmed))
		d.UseNumber()
		if err := d.Decode(&fields); err != nil || fields == nil || d.More() {
			// JSON that did not parse cannot be re-encoded, and an
			// excerpt could cut a secret's escaped form.
			return nil, fmt.Sprintf("a body that is not a valid JSON object (%d bytes, not shown)", len(trimmed))
		}
		rd.addAnswer(fields)
		return fields, strings.TrimSpace("a JSON object " + rd.describeFields(fields))
	}
	return nil, "a non-JSON body " + rd.quoteServerText(string(trimmed), maxServerText)
}
