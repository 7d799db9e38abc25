// The CA rotation's phases and the only moves between them (docs/ca-rotation.md). Pure: the service,
// the kubelet signer and the node client all read phases through these names.
//
//   idle ──prepare──► trust-both ──advance──► sign-new ──advance──► finish
//    ▲                    │  ▲                   │  ▲                  │
//    └──────abort─────────┘  └───────abort───────┘  └──────abort───────┘
//
// Every move is one step: a change that would skip one is refused, whoever asks and wherever.

export const ROTATION_PHASES = ["idle", "trust-both", "sign-new", "finish"] as const;
export type RotationPhase = (typeof ROTATION_PHASES)[number];

export const ROTATION_ACTIONS = ["prepare", "advance", "abort"] as const;
export type RotationAction = (typeof ROTATION_ACTIONS)[number];

const MOVES: Readonly<Record<RotationAction, Partial<Record<RotationPhase, RotationPhase>>>> = {
  prepare: { idle: "trust-both" },
  advance: { "trust-both": "sign-new", "sign-new": "finish" },
  abort: { "trust-both": "idle", "sign-new": "trust-both", finish: "sign-new" },
};

/** The phase `action` leads to from `from`, or undefined when that move does not exist. */
export function rotationTarget(action: RotationAction, from: RotationPhase): RotationPhase | undefined {
  return MOVES[action][from];
}

/** What each phase means for issuance and trust. */
export interface PhaseEffect {
  /** Which CA signs new leaves. */
  readonly signs: "current" | "next";
  /** Which CAs nodes must trust, the signing one first. */
  readonly trusts: readonly ("current" | "next")[];
}

export function phaseEffect(phase: RotationPhase): PhaseEffect {
  switch (phase) {
    case "idle":
      return { signs: "current", trusts: ["current"] };
    case "trust-both":
      return { signs: "current", trusts: ["current", "next"] };
    case "sign-new":
      return { signs: "next", trusts: ["next", "current"] };
    case "finish":
      return { signs: "next", trusts: ["next"] };
  }
}

export function isRotationPhase(s: unknown): s is RotationPhase {
  return typeof s === "string" && (ROTATION_PHASES as readonly string[]).includes(s);
}

export function isRotationAction(s: unknown): s is RotationAction {
  return typeof s === "string" && (ROTATION_ACTIONS as readonly string[]).includes(s);
}
