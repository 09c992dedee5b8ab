// Command hello is the yardstick of the cold-start benchmark: the smallest
// aws-lambda-go function that answers an API Gateway HTTP API event, built
// with the same flags as the real functions. Its start is what any Go
// function on Lambda pays; what a real function pays beyond it is its own.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func hello(_ context.Context, _ events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       `{"Code":"OK","Message":"hello"}`,
	}, nil
}

func main() {
	lambda.Start(hello)
}
