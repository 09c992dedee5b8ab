package postgres_test

import (
	"testing"

	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

func TestEventsContract(t *testing.T) {
	storetest.RunEvents(t, func(t *testing.T) storetest.EventsStore { return open(t, pg.Database(t)) })
}
