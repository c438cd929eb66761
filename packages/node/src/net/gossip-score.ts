import { parseTopic } from '@swarm/protocol'
import type { GossipSub } from '@libp2p/gossipsub'
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score'

/**
 * Gossipsub v1.1 peer scoring for the swarm's topics: what a peer's misbehaviour costs it, and
 * where the cost starts to bite. The score of a peer, as each node computes it, is
 *
 *   score = min(topicScoreCap, Σ over topics of topicWeight × (P2 + P4))  + P5 + P6 + P7
 *
 *   P2  first deliveries (a reward, per topic: weight × min(counter, cap))
 *   P4  invalid messages (per topic: weight × counter², the counter decays)
 *   P5  our own penalty book (net/penalties.ts): weight × −(book score); the book is fed by the
 *       gossip validator (every Reject and FUTURE, net/verdict.ts) and by both direct messengers
 *       (malformed frames, unauthorized requests)
 *   P6  IP colocation (gossip.ipColocationThreshold), P7 protocol misbehaviour (GRAFT in backoff,
 *       broken IWANT promises)
 *
 * Parameters (decay interval 1 s; all topic weights 1):
 *
 * | term | agents topic | skill topics | group topics |
 * | --- | --- | --- | --- |
 * | P1 time in mesh | off | off | off |
 * | P2 first deliveries | 0.05 × min(n, 20): at most +1, half-life 5 min | 0.2 × min(n, 5): at most +1, half-life 5 min | off |
 * | P3, P3b mesh deliveries | off | off | off |
 * | P4 invalid messages | −20 × n², half-life 10 min | −20 × n², half-life 10 min | −5 × n², half-life 10 min |
 *
 * | global | value | why |
 * | --- | --- | --- |
 * | topicScoreCap | 10 | what good behaviour can buy: never enough to hide misbehaviour |
 * | P5 appSpecificWeight | 1 (× −book score) | a malformed frame (severe, 20) weighs as much as one invalid gossip message (−20); the book halves every penalties.halfLifeMs (10 min) |
 * | P7 behaviourPenalty | −10 × (n − 2)², half-life 7 s | two slips are free (a race at a prune, a message evicted early) |
 * | P6 IPColocationFactor | −5 × surplus², threshold gossip.ipColocationThreshold | gossipsub's default weight |
 * | retainScore | 30 min | a peer that hangs up keeps its (negative) score that long, undecayed |
 *
 * | threshold | value | below it |
 * | --- | --- | --- |
 * | gossip | −10 | no IHAVE/IWANT with the peer: one invalid message |
 * | publish | −40 | our own messages are not flood-published to it: two invalid messages |
 * | graylist | −80 | everything it sends is dropped unread, on every topic |
 * | acceptPX | 100 | never reached (topic scores are capped at 10, P5 is never positive): peer exchange on prune is not taken from anyone, as before; PX records are hints an eclipse attacker would feed, and the registry's DIRECTORY_REQUEST answers do that job |
 * | opportunisticGraft | 0.5 | a mesh whose median peer delivered nothing first lately grafts two better peers |
 *
 * What it takes to be graylisted (score < −80), counting P4 alone (P5 comes on top for every
 * message the validator rejects, so in practice it is one message sooner):
 *
 * | sender | messages |
 * | --- | --- |
 * | invalid messages (undecodable, off-schema, wrong channel, unsigned) on the agents or a skill topic | 3 (−180), whatever first-delivery credit it has (≤ +1 per subscribed topic, so below 100 topics); 2 with P5 (−80 −40) |
 * | unauthorized messages on a group topic (e.g. an outsider) | 5 by P4 alone; 4 with P5 (−80 −20) |
 * | malformed direct frames (P5 alone) | 5 (−100); unexpected or bad-state requests: 17; minor refusals: 81 |
 * | an honest peer's stale or duplicate messages (Ignore) | never: Ignore costs nothing |
 * | an honest peer's early messages (FUTURE, minor 1) | more than 80 within a 10-minute half-life |
 *
 * After a burst of 3 invalid agents-topic messages the peer stays graylisted for about 9 minutes
 * (P4 and P5 decaying together), during which its messages are dropped before validation and
 * cost it nothing more: a persistent attacker gets about 3 messages through per identity every
 * 9 minutes. A removed group member still sending (UNAUTHORIZED, moderate) gets below the publish
 * threshold after 3 messages, graylisted only after 4.
 *
 * P3 (mesh message deliveries) is off: it punishes a mesh peer that delivers fewer than a quota
 * of messages per window, which assumes steady traffic (a block every slot). Ours is bursty: a
 * skill topic may carry nothing for an hour and then ten announcements in a second, a group topic
 * lives for one task. Every honest mesh peer of a quiet topic would fall short of any quota and be
 * pruned. P3b (its sticky penalty on prune) is off with it. P1 (time in mesh) is off too: it would
 * reward an attacker for waiting in the mesh before it misbehaves.
 *
 * Topic parameters are looked up by exact topic name; group topics come and go with tasks. So the
 * node registers no list: `scoreSwarmTopics` gives gossipsub a view that answers, for any topic of
 * the node's network (`parseTopic`), the parameters of its kind. P2 is counted only on topics the
 * node subscribes to: gossipsub accepts (without any validator) messages on topics we are not in,
 * and these would otherwise buy a peer first-delivery credit on as many topics as it likes.
 */

/** The kinds of swarm topics (protocol: names.ts). */
type TopicKind = 'agents' | 'skill' | 'group'

const DECAY_INTERVAL_MS = 1_000
const MINUTE = 60_000

/** The per-interval factor that halves a counter every `halfLifeMs`. */
function decayFor (halfLifeMs: number): number {
  return 0.5 ** (DECAY_INTERVAL_MS / halfLifeMs)
}

/** The thresholds of the node's gossipsub (see the table above). */
export const SCORE_THRESHOLDS: Readonly<PeerScoreThresholds> = Object.freeze({
  gossipThreshold: -10,
  publishThreshold: -40,
  graylistThreshold: -80,
  acceptPXThreshold: 100,
  opportunisticGraftThreshold: 0.5
})

interface TopicPolicy {
  /** P2 weight (0: off) and cap of the first-delivery counter. */
  firstDeliveries: { weight: number, cap: number }
  /** P4 weight: × the square of the invalid-message counter. */
  invalidWeight: number
}

const TOPIC_POLICY: Record<TopicKind, TopicPolicy> = {
  agents: { firstDeliveries: { weight: 0.05, cap: 20 }, invalidWeight: -20 },
  skill: { firstDeliveries: { weight: 0.2, cap: 5 }, invalidWeight: -20 },
  group: { firstDeliveries: { weight: 0, cap: 1 }, invalidWeight: -5 }
}

const FIRST_DELIVERY_HALF_LIFE_MS = 5 * MINUTE
const INVALID_HALF_LIFE_MS = 10 * MINUTE

/**
 * The score parameters of one topic of `kind`; `subscribed: false` leaves out the first-delivery
 * reward (P2), keeping the invalid-message penalty (P4). Pure.
 */
export function topicScoreParams (kind: TopicKind, subscribed: boolean): TopicScoreParams {
  const policy = TOPIC_POLICY[kind]
  return {
    topicWeight: 1,
    timeInMeshWeight: 0,
    timeInMeshQuantum: 1_000,
    timeInMeshCap: 3_600,
    firstMessageDeliveriesWeight: subscribed ? policy.firstDeliveries.weight : 0,
    firstMessageDeliveriesDecay: decayFor(FIRST_DELIVERY_HALF_LIFE_MS),
    firstMessageDeliveriesCap: policy.firstDeliveries.cap,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 1,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 5_000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    invalidMessageDeliveriesWeight: policy.invalidWeight,
    invalidMessageDeliveriesDecay: decayFor(INVALID_HALF_LIFE_MS)
  }
}

export interface GossipScoringInput {
  /** Peers on one IP before the colocation penalty (config gossip.ipColocationThreshold). */
  ipColocationThreshold: number
  /** The penalty book's score of a peer (0 for a peer never charged; higher is worse). */
  penaltyScore?: (peerId: string) => number
}

/**
 * The global score parameters and the thresholds of the node's gossipsub. The `topics` map is
 * empty here: gossipsub copies it at construction, so the per-topic view is installed on the
 * running instance by `scoreSwarmTopics`. Pure.
 */
export function gossipScoring (input: GossipScoringInput): { scoreParams: Omit<PeerScoreParams, 'topics'>, scoreThresholds: PeerScoreThresholds } {
  const penaltyScore = input.penaltyScore
  return {
    scoreParams: {
      topicScoreCap: 10,
      appSpecificScore: penaltyScore === undefined ? () => 0 : peerId => -penaltyScore(peerId),
      appSpecificWeight: 1,
      IPColocationFactorWeight: -5,
      IPColocationFactorThreshold: input.ipColocationThreshold,
      IPColocationFactorWhitelist: new Set(),
      behaviourPenaltyWeight: -10,
      behaviourPenaltyThreshold: 2,
      behaviourPenaltyDecay: 0.9,
      decayInterval: DECAY_INTERVAL_MS,
      decayToZero: 0.01,
      retainScore: 30 * MINUTE
    },
    scoreThresholds: { ...SCORE_THRESHOLDS }
  }
}

/**
 * The parameters gossipsub looks up by topic name: those of the topic's kind for any topic of
 * `network`, with the first-delivery reward only while `subscribed(topic)`; undefined (not
 * scored) for other topics. The view holds no per-topic state, so topics that come and go (a
 * group's) cost nothing. Topics with scores keep their parameters after an unsubscribe:
 * gossipsub reads them when a peer leaves or is pruned.
 */
export function swarmTopicParams (network: string, subscribed: (topic: string) => boolean): Record<string, TopicScoreParams> {
  const params = {
    subscribed: { agents: topicScoreParams('agents', true), skill: topicScoreParams('skill', true), group: topicScoreParams('group', true) },
    other: { agents: topicScoreParams('agents', false), skill: topicScoreParams('skill', false), group: topicScoreParams('group', false) }
  }
  const lookup = (topic: string): TopicScoreParams | undefined => {
    const parsed = parseTopic(topic)
    if (parsed === undefined || parsed.network !== network) return undefined
    return (subscribed(topic) ? params.subscribed : params.other)[parsed.kind]
  }
  return new Proxy<Record<string, TopicScoreParams>>({}, {
    get: (_target, key) => typeof key === 'string' ? lookup(key) : undefined,
    has: (_target, key) => typeof key === 'string' && lookup(key) !== undefined
  })
}

/** What scoring needs of the gossipsub instance beyond its public interface (its class has both). */
interface ScoredGossipSub {
  getScore: (peerId: string) => number
  score: { params: PeerScoreParams }
}

function scored (pubsub: GossipSub): ScoredGossipSub {
  const candidate = pubsub as Partial<ScoredGossipSub>
  if (typeof candidate.getScore !== 'function' || typeof candidate.score?.params !== 'object') {
    throw new Error('this gossipsub has no peer score to configure (getScore, score.params): the @libp2p/gossipsub version is not one the node supports')
  }
  return candidate as ScoredGossipSub
}

/**
 * Makes a gossipsub instance score every topic of `network` (see `swarmTopicParams`). Call it
 * on the instance before it starts. Throws when the instance has no peer score (another
 * gossipsub build): running without scoring would be silent.
 */
export function scoreSwarmTopics (pubsub: GossipSub, network: string): GossipSub {
  scored(pubsub).score.params.topics = swarmTopicParams(network, topic => pubsub.getTopics().includes(topic))
  return pubsub
}

/** Reads gossipsub's current score of peers (cached by gossipsub for one heartbeat). */
export function gossipScores (pubsub: GossipSub): (peerId: string) => number {
  const instance = scored(pubsub)
  return peerId => instance.getScore(peerId)
}
