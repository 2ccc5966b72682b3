package world

import "strconv"

// Counter is one of the world's run counters, which Finish reports to the
// Observer; its String is its key in summary.json (docs/outputs.md,
// "Counters").
type Counter uint8

// The world's counters.
const (
	CountEvents                 Counter = iota // engine events executed
	CountHeadersSent                           // header announcements sent
	CountRequestsSent                          // block-fetch requests sent
	CountBodiesSent                            // bodies sent
	CountUnroutable                            // messages with no route (no latency or no connection)
	CountSlotBattles                           // slots with more than one leader
	CountRequestsWaitingAtEnd                  // requests kept by a pipelining node when the run ended
	CountRequestsAbandoned                     // kept requests dropped (the requester went away)
	CountNoBlocksSent                          // MsgNoBlocks answers sent
	CountHeadersNotHot                         // headers that reached a node over a link no longer hot
	CountGovPromotionsColdWarm                 // governors' cold→warm promotions
	CountGovPromotionsWarmHot                  // governors' warm→hot promotions
	CountGovDemotionsHotWarm                   // governors' hot→warm demotions
	CountGovDemotionsWarmCold                  // governors' warm→cold demotions
	CountGovAsyncDemotions                     // demotions a failure forced
	CountGovConnectFailures                    // failed connection attempts
	CountGovForgotten                          // peers forgotten
	CountGovShareRequests                      // peer-sharing requests
	CountGovViolations                         // governor invariant violations found by the checks
	CountGovLivelocks                          // governors that stopped deciding (livelock guard)
	CountChurnSteps                            // churn governor steps
	CountChurnTimeouts                         // churn steps that timed out
	CountCalibrations                          // calibration rounds of the research policies
	CountCalibrationTimeouts                   // calibration rounds that timed out
	CountCalibrationReplaced                   // peers replaced by calibration
	CountFaultDrops                            // injected connection drops
	CountFaultCrashes                          // injected crashes
	CountConnections                           // connections the bearer opened
	CountGossipMessages                        // PolderCast gossip messages
	CountGossipBytes                           // PolderCast gossip bytes
	CountGossipLost                            // PolderCast gossip messages lost
	CountConnectionsOpened                     // PolderCast connections opened on demand
	CountAnnouncements                         // PolderCast announcements
	CountAnnouncementsRedundant                // PolderCast announcements of a block the receiver had
	CountQuarantined                           // PolderCast profiles quarantined
	numCounters
)

var counterNames = [numCounters]string{
	CountEvents:                 "events",
	CountHeadersSent:            "headers_sent",
	CountRequestsSent:           "requests_sent",
	CountBodiesSent:             "bodies_sent",
	CountUnroutable:             "unroutable_messages",
	CountSlotBattles:            "slot_battles",
	CountRequestsWaitingAtEnd:   "requests_waiting_at_end",
	CountRequestsAbandoned:      "requests_abandoned",
	CountNoBlocksSent:           "no_blocks_sent",
	CountHeadersNotHot:          "headers_not_hot",
	CountGovPromotionsColdWarm:  "gov_promotions_cold_warm",
	CountGovPromotionsWarmHot:   "gov_promotions_warm_hot",
	CountGovDemotionsHotWarm:    "gov_demotions_hot_warm",
	CountGovDemotionsWarmCold:   "gov_demotions_warm_cold",
	CountGovAsyncDemotions:      "gov_async_demotions",
	CountGovConnectFailures:     "gov_connect_failures",
	CountGovForgotten:           "gov_forgotten",
	CountGovShareRequests:       "gov_share_requests",
	CountGovViolations:          "gov_violations",
	CountGovLivelocks:           "gov_livelocks",
	CountChurnSteps:             "churn_steps",
	CountChurnTimeouts:          "churn_timeouts",
	CountCalibrations:           "calibrations",
	CountCalibrationTimeouts:    "calibration_timeouts",
	CountCalibrationReplaced:    "calibration_replaced",
	CountFaultDrops:             "fault_drops",
	CountFaultCrashes:           "fault_crashes",
	CountConnections:            "connections",
	CountGossipMessages:         "gossip_messages",
	CountGossipBytes:            "gossip_bytes",
	CountGossipLost:             "gossip_lost",
	CountConnectionsOpened:      "connections_opened",
	CountAnnouncements:          "announcements",
	CountAnnouncementsRedundant: "announcements_redundant",
	CountQuarantined:            "quarantined",
}

// String returns the counter's key in summary.json.
func (c Counter) String() string {
	if c < numCounters {
		return counterNames[c]
	}
	return "counter(" + strconv.Itoa(int(c)) + ")"
}
