// Package platform runs one function's http.Handler on AWS Lambda, on Aliyun
// Function Compute 3 (the go1 runtime) or as a plain local HTTP server,
// choosing at start from the environment (see Start).
//
// Every trigger ends up as an *http.Request served by the same handler:
//
//   - HTTP events (API Gateway HTTP API payload 2.0, REST API 1.0, Lambda
//     function URLs in BUFFERED mode, the FC3 HTTP trigger) become a request
//     with the method, path, query, headers, cookies, body (base64 decoded),
//     the invocation's deadline and the caller's address; the handler's reply
//     goes back in the event's response shape, non-text bodies
//     base64-encoded.
//   - Queue and topic events (SQS, EventBridge, MNS topic in JSON or STREAM
//     format, Aliyun EventBridge CloudEvents from an MNS queue, one or a
//     batch) are replayed message by message as POST Options.QueuePath with
//     the message body, the context carrying a notify.Origin. The handler's
//     status decides: 2xx done; 408, 409, 425, 429 and 5xx retried; any other
//     status dropped and logged as an error. SQS gets a partial batch
//     response naming the messages to retry; the others have no partial
//     batch, so one retryable failure fails the whole invocation.
//
// Timer events (an FC timer trigger; an AWS EventBridge "Scheduled Event"
// from a rule, or from a Scheduler schedule whose Input has that shape) are
// no request: they call the handler's Tick when it is a Ticker, with the
// invocation's deadline, and answer null; Tick's error fails the
// invocation. Locally, RunTicker stands in for the trigger.
//
// The adapters are this package's own small code rather than
// aws-lambda-go-api-proxy or lambdaurl: the same core serves FC's event
// shapes, lambdaurl only speaks streaming function URLs, and the
// ResponseWriter is a plain in-memory one (not httptest). aws-lambda-go's
// event types are used where they decode real payloads; FC's HTTP, MNS topic
// and CloudEvent structs are our own, because the SDK's fail on documented
// payloads (a numeric PublishTime, a numeric timeEpoch).
//
// Two shapes cannot carry everything an http.Handler may say. The payload
// 2.0 and FC3 events carry one string per header: several values arrive and
// leave comma-joined (Set-Cookie excepted on AWS, which has a cookies list;
// FC3 gets it joined too), and FC's query parameters arrive comma-joined.
//
// Every log line the platform writes is JSON with the platform's request id
// (Lambda's or FC's, or X-Request-Id for local HTTP), which also rides in
// every request's context: see Logger and RequestID.
package platform
