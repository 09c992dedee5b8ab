// Command floor is the yardstick of the cold-start benchmark's first send:
// hello, which on its first request also opens one pgx connection to
// NOTIFY_DATABASE_URL and inserts, then updates, one row of the table
// floor. What a gateway function pays for its first send beyond it is its
// own start and its own work; the connection, every function pays.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/jackc/pgx/v5"
)

var conn *pgx.Conn

func floor(ctx context.Context, _ events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if conn == nil {
		c, err := pgx.Connect(ctx, os.Getenv("NOTIFY_DATABASE_URL"))
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		conn = c
	}
	id := fmt.Sprintf("%x", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, `INSERT INTO floor (id, status, updated_at) VALUES ($1, 'accepted', now())`, id); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if _, err := conn.Exec(ctx, `UPDATE floor SET status = 'submitted', updated_at = now() WHERE id = $1`, id); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       `{"Code":"OK","Message":"floor","MessageId":"` + id + `"}`,
	}, nil
}

func main() {
	lambda.Start(floor)
}
