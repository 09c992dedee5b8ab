// Package endpoint reads the Endpoint setting of the HTTP providers
// (tencentsms, cloopensms, and the Aliyun ones).
package endpoint

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Parse accepts "host", "host:port" (over https) or an http or https URL
// without a path, and returns "scheme://host[:port]". A port without a
// host (":443"), which would dial this machine, is refused. Its errors show
// the endpoint with any password redacted.
func Parse(ep string) (string, error) {
	raw := ep
	if !strings.Contains(ep, "://") {
		raw = "https://" + ep
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("Endpoint is not a host, host:port or URL")
	}
	shown := u.Redacted()
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("Endpoint %q: the scheme must be http or https", shown)
	case u.Hostname() == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("Endpoint %q must be a host, host:port or a URL without a path", shown)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("Endpoint %q has a bad port", shown)
		}
	}
	return u.Scheme + "://" + u.Host, nil
}
