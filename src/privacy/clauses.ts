/**
 * Each clause of the published privacy policy, the mechanism that keeps its promise and the
 * tests that prove it (paths from the repository root). `contractual` clauses allocate
 * responsibility and need no mechanism; `informational` ones describe the policy itself.
 */
interface ClauseConformance {
  clause: string;
  title: string;
  status: "enforced" | "contractual" | "informational";
  mechanisms: string[];
  tests: string[];
}

export const CLAUSES: readonly ClauseConformance[] = [
  {
    clause: "§1",
    title: "Introduction",
    status: "informational",
    mechanisms: ["GET /privacy serves the operator's policy text (policy.text_file) and version"],
    tests: ["tests/privacy/policy.test.ts", "tests/privacy/report.test.ts"],
  },
  {
    clause: "§2",
    title: "Information we collect",
    status: "enforced",
    mechanisms: [
      "the email is the only personal field, AES-256-GCM encrypted with an HMAC blind index",
      "usage rows hold SPEC's minimal metadata; no column can hold content",
    ],
    tests: ["tests/accounts/atRest.test.ts", "tests/accounts/magicLink.test.ts", "tests/usage/writer.test.ts"],
  },
  {
    clause: "§3",
    title: "Zero retention of prompts and responses",
    status: "enforced",
    mechanisms: [
      "bodies are relayed in memory and never logged; errors never echo request content",
      "routing honours zdr/region requirements and fails closed",
    ],
    tests: ["tests/proxy/privacy.test.ts", "tests/proxy/policy.test.ts", "tests/http/app.test.ts"],
  },
  {
    clause: "§4",
    title: "No use of data for model training",
    status: "enforced",
    mechanisms: ["no content is stored, so none can be used; trends are counts per day and model"],
    tests: ["tests/proxy/privacy.test.ts"],
  },
  {
    clause: "§5",
    title: "How we use your information",
    status: "enforced",
    mechanisms: ["magic-link accounts, metering, abuse controls and billing use only the fields above"],
    tests: ["tests/limits/abuse.test.ts", "tests/billing/admission.test.ts", "tests/accounts/magicLink.test.ts"],
  },
  {
    clause: "§6",
    title: "User responsibility for generated content",
    status: "contractual",
    mechanisms: [],
    tests: [],
  },
  {
    clause: "§7",
    title: "Legal basis and consent",
    status: "enforced",
    mechanisms: [
      "sign-up records the age confirmation and the policy version accepted",
      "POST /account/policy/accept records acceptance of the version in force",
    ],
    tests: ["tests/accounts/magicLink.test.ts", "tests/privacy/policy.test.ts"],
  },
  {
    clause: "§8",
    title: "Data retention and deletion",
    status: "enforced",
    mechanisms: [
      "retention run (hourly and `kriora retention run`): IPs, usage detail, expired sessions and links, billing after billing_years with a carry-forward, audit after audit_years behind an anchor",
      "erasure with billing under legal hold at a tombstone, secure_delete and a WAL checkpoint",
      "crypto-shredding: the person's data key is destroyed first, so earlier copies of their ciphertexts no longer decrypt",
    ],
    tests: [
      "tests/privacy/retention.test.ts",
      "tests/privacy/erasure.test.ts",
      "tests/privacy/cryptoShredding.test.ts",
      "tests/billing/erasure.test.ts",
      "tests/billing/ledger.test.ts",
    ],
  },
  {
    clause: "§9",
    title: "Security measures",
    status: "enforced",
    mechanisms: [
      "field encryption: personal fields under per-account data keys wrapped by the master key (`kriora datakeys rotate` re-wraps)",
      "scoped keys and admin-only routes",
      "append-only hash-chained audit trail, admin reads audited",
    ],
    tests: [
      "tests/crypto/fields.test.ts",
      "tests/crypto/dataKeyRotation.test.ts",
      "tests/audit/audit.test.ts",
      "tests/accounts/admin.test.ts",
      "tests/privacy/export.test.ts",
      "tests/privacy/retention.test.ts",
    ],
  },
  {
    clause: "§10",
    title: "Sharing and disclosure",
    status: "enforced",
    mechanisms: ["Stripe customers carry the account id only, no email; deleted on erasure"],
    tests: ["tests/billing/guard.test.ts", "tests/billing/webhooks.test.ts", "tests/billing/erasure.test.ts"],
  },
  {
    clause: "§11",
    title: "Cookies and tracking",
    status: "enforced",
    mechanisms: ["one HttpOnly session cookie", "usage trends are aggregates and leave out accounts that objected"],
    tests: ["tests/accounts/session.test.ts", "tests/privacy/objection.test.ts"],
  },
  {
    clause: "§12",
    title: "International data transfers",
    status: "enforced",
    mechanisms: ["providers declare their region; keys and accounts may require regions"],
    tests: ["tests/proxy/policy.test.ts"],
  },
  { clause: "§13", title: "Limitation of liability", status: "contractual", mechanisms: [], tests: [] },
  {
    clause: "§14",
    title: "Your rights",
    status: "enforced",
    mechanisms: [
      "access: POST /account/export, `kriora accounts export`",
      "correction: POST /account/email (verified), `kriora accounts set-email`",
      "erasure, restriction, objection: /account/delete|restrict|object and `kriora accounts delete|restrict|unrestrict|object`",
      "rights ledger with due dates: `kriora privacy requests [--overdue]`",
    ],
    tests: [
      "tests/privacy/export.test.ts",
      "tests/privacy/rectify.test.ts",
      "tests/privacy/erasure.test.ts",
      "tests/privacy/restriction.test.ts",
      "tests/privacy/objection.test.ts",
      "tests/privacy/rights.test.ts",
    ],
  },
  {
    clause: "§15",
    title: "Children's privacy",
    status: "enforced",
    mechanisms: [
      "sign-up requires confirming policy.minimum_age",
      "`kriora accounts delete --reason child` erases at once",
    ],
    tests: ["tests/accounts/magicLink.test.ts", "tests/privacy/children.test.ts"],
  },
  {
    clause: "§16",
    title: "Changes to this policy",
    status: "enforced",
    mechanisms: ["a material version change mails one notice per verified account (outbox with retry)"],
    tests: ["tests/privacy/policy.test.ts"],
  },
  {
    clause: "§17",
    title: "Contact",
    status: "informational",
    mechanisms: ["the operator's contact address is part of the policy text served at GET /privacy"],
    tests: ["tests/privacy/policy.test.ts"],
  },
];
