package postgres_test

import (
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

func TestEventsContract(t *testing.T) {
	storetest.RunEvents(t, func(t *testing.T) notify.Store { return open(t, pg.Database(t)) })
}

// TestPurgeTwoStores races purges through two Stores, two pools on one
// database, as the scheduled work of two instances (or a slow run and the
// next tick) would: every old message goes with its reports.
func TestPurgeTwoStores(t *testing.T) {
	url := pg.Database(t)
	storetest.RacePurge(t, open(t, url), open(t, url))
}
