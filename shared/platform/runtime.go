package platform

// Runtime is where a function runs: what Start serves it on.
type Runtime string

// The runtimes.
const (
	Lambda Runtime = "aws-lambda" // AWS_LAMBDA_RUNTIME_API is set
	FC     Runtime = "aliyun-fc"  // FC_RUNTIME_API is set
	Local  Runtime = "local"      // neither: a plain HTTP server on $PORT
)

// RuntimeOf reads from the environment which runtime a function is on.
func RuntimeOf(getenv func(string) string) Runtime {
	switch {
	case getenv("AWS_LAMBDA_RUNTIME_API") != "":
		return Lambda
	case getenv("FC_RUNTIME_API") != "":
		return FC
	}
	return Local
}

// MaxRequestBytes is the largest synchronous invocation the runtime takes,
// in bytes, and so bounds every HTTP request a function is given there; 0
// means no bound of the runtime's own. On Lambda it is the whole event
// (6 MB: 6,291,456 bytes), which holds the request's body with its
// headers and the trigger's own fields; on FC 3 it is the request body
// (32 MB, taken as 32,000,000 bytes). docs/limits.md says where these
// figures come from.
func (r Runtime) MaxRequestBytes() int64 {
	switch r {
	case Lambda:
		return 6 << 20
	case FC:
		return 32_000_000
	}
	return 0
}
