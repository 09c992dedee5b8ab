package postgres_test

import (
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

func TestEventsContract(t *testing.T) {
	storetest.RunEvents(t, func(t *testing.T) notify.Store { return open(t, pg.Database(t)) })
}
