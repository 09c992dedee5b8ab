package secrets_test

import (
	"context"
	"fmt"

	"github.com/seed4ddb146e/notify/shared/fake/secretsext"
	"github.com/seed4ddb146e/notify/shared/secrets"
)

// At cold start, before the configuration is loaded: the secret's values
// come out of the returned environment's Getenv, with the process's
// environment behind them. Here a fake extension holds the secret.
func ExampleOverlay() {
	ext := secretsext.New(secretsext.Config{Secrets: map[string]string{
		"notify/prod": `{"NOTIFY_DATABASE_URL":"postgres://notify:pw@db.internal/notify"}`,
	}})
	defer ext.Close()
	environ := map[string]string{
		"NOTIFY_SECRETS":                         "notify/prod",
		"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": ext.Port(),
		"AWS_SESSION_TOKEN":                      ext.Token(),
		"NOTIFY_LOG_LEVEL":                       "debug",
	}
	getenv := func(k string) string { return environ[k] }

	env, err := secrets.Overlay(context.Background(), getenv, []string{"NOTIFY_DATABASE_URL", "NOTIFY_LOG_LEVEL"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(env.Names, env.Getenv("NOTIFY_LOG_LEVEL"))
	// Output: [NOTIFY_DATABASE_URL] debug
}
