// Package platform runs one function's http.Handler on AWS Lambda, on Aliyun
// Function Compute 3 (the go1 runtime) or as a plain local HTTP server,
// choosing at start from the environment: see Start (or New, to run events
// in-process).
//
// Every trigger ends up as an *http.Request served by the same handler:
// HTTP events as themselves, queue and topic messages one by one as a POST
// to Options.QueuePath, whose status decides whether the queue retries
// them. Timer events call the handler's Tick when it is a Ticker. Every log
// line the platform writes carries its request id (Logger, RequestID).
//
// docs/platform.md has each event's mapping, the statuses a queue retries,
// why the adapters are our own, and what the event shapes cannot carry.
package platform
