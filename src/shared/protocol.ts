// Wire frames between nodes, and between clients and nodes: one JSON object per
// line (NDJSON) over TCP. Every frame read from a socket is validated here.
// Documented in docs/node-protocol.md.
import { z } from 'zod'
import { entrySchema, kvOutputSchema } from './trace'
import type { RaftMessage } from './raft/types'

/** A line longer than this closes the connection: a peer cannot make us buffer without bound. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024
export const MAX_KEY_BYTES = 256
export const MAX_VALUE_BYTES = 64 * 1024

const nodeId = z.string().min(1).max(64)
const nonNeg = z.number().int().nonnegative()
const envelope = { from: nodeId, to: nodeId, term: nonNeg }

export const raftMessageSchema = z.discriminatedUnion('type', [
  z.object({
    ...envelope,
    type: z.literal('RequestVote'),
    candidateId: nodeId,
    lastLogIndex: nonNeg,
    lastLogTerm: nonNeg,
    preVote: z.boolean()
  }),
  z.object({
    ...envelope,
    type: z.literal('RequestVoteResponse'),
    voteGranted: z.boolean(),
    preVote: z.boolean()
  }),
  z.object({
    ...envelope,
    type: z.literal('AppendEntries'),
    leaderId: nodeId,
    prevLogIndex: nonNeg,
    prevLogTerm: nonNeg,
    entries: z.array(entrySchema),
    leaderCommit: nonNeg,
    readCtx: nonNeg
  }),
  z.object({
    ...envelope,
    type: z.literal('AppendEntriesResponse'),
    success: z.boolean(),
    matchIndex: nonNeg,
    conflictIndex: nonNeg,
    conflictTerm: nonNeg,
    readCtx: nonNeg
  })
])

// The schema and the core's hand-written type must describe the same frames.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const raftMessageSchemaMatchesCore: Same<z.infer<typeof raftMessageSchema>, RaftMessage> = true
void raftMessageSchemaMatchesCore

/** First frame on a peer connection: who is calling whom. A wrong `to` closes the connection. */
export const helloSchema = z.object({ type: z.literal('Hello'), from: nodeId, to: nodeId })

const key = z.string().max(MAX_KEY_BYTES)
const value = z.string().max(MAX_VALUE_BYTES)
const clientFields = {
  /** Echoed in the response; lets a client pipeline requests on one connection. */
  id: nonNeg,
  client: z.string().min(1).max(64),
  /** Per-client sequence number: a retry reuses it, so a write applies exactly once. */
  seq: nonNeg
}

export const clientRequestSchema = z.discriminatedUnion('op', [
  z.object({ type: z.literal('ClientRequest'), ...clientFields, op: z.literal('get'), key }),
  z.object({ type: z.literal('ClientRequest'), ...clientFields, op: z.literal('put'), key, value }),
  z.object({
    type: z.literal('ClientRequest'),
    ...clientFields,
    op: z.literal('cas'),
    key,
    from: value.nullable(),
    to: value
  })
])
export type ClientRequest = z.infer<typeof clientRequestSchema>

export const ERROR_CODES = [
  /** This node is not the leader; try `leaderHint` if set. The request was not applied. */
  'NOT_LEADER',
  /** The node could not answer in time; the write may or may not have been applied. */
  'TIMEOUT',
  /** The frame was malformed or had an unknown type; nothing was applied. */
  'BAD_REQUEST',
  /** The sender claimed an identity this node does not accept. */
  'WRONG_PEER',
  /** The node is shutting down or its disk failed; the write may or may not have been applied. */
  'UNAVAILABLE'
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

export const clientResponseSchema = z.discriminatedUnion('ok', [
  z.object({
    type: z.literal('ClientResponse'),
    id: nonNeg,
    ok: z.literal(true),
    /** get: {value}; put: {}; cas: {swapped, value (the current value)} */
    result: kvOutputSchema,
    /** Log index the operation was applied at (0 for a ReadIndex read). */
    index: nonNeg
  }),
  z.object({
    type: z.literal('ClientResponse'),
    id: nonNeg,
    ok: z.literal(false),
    code: z.enum(ERROR_CODES),
    message: z.string(),
    leaderHint: z
      /** address: where this node believes the leader serves clients, if it knows. */
      .object({ id: nodeId, address: z.string().nullable() })
      .nullable()
      .default(null)
  })
])
export type ClientResponse = z.infer<typeof clientResponseSchema>

/** Sent before closing a connection over a bad frame (or to report one without closing). */
export const errorFrameSchema = z.object({
  type: z.literal('Error'),
  code: z.enum(ERROR_CODES),
  message: z.string()
})

/** Everything a node accepts on its single listening port. */
export const inboundFrameSchema = z.union([helloSchema, raftMessageSchema, clientRequestSchema])
export type InboundFrame = z.infer<typeof inboundFrameSchema>

/** Control commands on a node's stdin (one JSON per line), sent by the lab. */
export const controlCommandSchema = z.discriminatedUnion('type', [
  /** Let the election timer fire now ("time out" in the UI). */
  z.object({ type: z.literal('campaign') }),
  /** Print a `status` event on stdout. */
  z.object({ type: z.literal('status') })
])
export type ControlCommand = z.infer<typeof controlCommandSchema>
