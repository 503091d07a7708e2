/**
 * English: the reference catalogue. Every key here must exist in km.ts and fr.ts (the type
 * `Catalogue` makes a missing or extra key a compile error; test/i18n/catalogue.test.ts names it).
 * Placeholders are {{name}} (i18next interpolation, no ICU); the same placeholders in every language.
 *
 * problem.<code>: the `detail` of a problem+json answer with that `code` (one line per code).
 * status.<http status>: the problem's `title`.
 * resource.<what>: the thing named by notFound('what') (spaces become underscores).
 * notification.<key>: in-app notifications (title, and body when the stored body is not data).
 * warning.<code>: a warning in a successful answer (a confirmation's warnings[].detail).
 * outgoing.*: what leaves by e-mail and Web Push — never a medicine, dose, name or note.
 * mail.*: account e-mails.
 * safety.*: the safety alerts' sentences; safety.effect.<code>: the interaction effects.
 * report.*: the AI reports (titles, summary sentences, table headings).
 */
export const en = {
  status: {
    '400': 'Bad Request',
    '401': 'Unauthorized',
    '402': 'Payment Required',
    '403': 'Forbidden',
    '404': 'Not Found',
    '405': 'Method Not Allowed',
    '406': 'Not Acceptable',
    '409': 'Conflict',
    '410': 'Gone',
    '413': 'Content Too Large',
    '415': 'Unsupported Media Type',
    '422': 'Unprocessable Content',
    '429': 'Too Many Requests',
    '500': 'Internal Server Error',
    '503': 'Service Unavailable',
    other: 'Error',
  },
  problem: {
    // generic (src/http/errors.ts)
    bad_request: 'the request cannot be handled',
    validation_failed: 'the request is not valid',
    conflict: 'this already exists',
    not_found: '{{what}} not found',
    constraint_violation: 'a value is outside what is allowed',
    invalid_value: 'a value has the wrong form',
    retry: 'please try again',
    timeout: 'the database took too long',
    database_unavailable: 'the database is unavailable',
    internal_error: 'something went wrong on our side; please try again later',
    payload_too_large: 'the body is larger than allowed',
    unsupported_media_type: 'send application/json',
    invalid_json: 'the body is not valid JSON',
    rate_limited: 'too many requests; retry in {{seconds}} s',
    forbidden: 'not allowed',
    unauthorized: 'sign in first',
    route_not_found: 'no route for {{method}} {{path}}',
    forbidden_role: 'your kind of account cannot do this',
    // accounts and sessions
    invalid_token: 'the access token is not valid',
    token_expired: 'the access token has expired; refresh it',
    session_revoked: 'this session has ended; sign in again',
    invalid_credentials: 'wrong e-mail or password',
    account_disabled: 'this account has been deactivated; contact support',
    account_locked: 'too many failed sign-ins; try again in {{minutes}} min',
    refresh_token_reused: 'this refresh token was already used; the session has been ended for safety',
    invalid_refresh_token: 'the refresh token is not valid; sign in again',
    weak_password: 'the password must have at least 10 characters, with letters and digits',
    wrong_password: 'the password is not correct',
    email_taken: 'an account with this e-mail already exists',
    already_verified: 'this e-mail address is already verified',
    invalid_link_token: 'the link is not valid',
    link_token_expired: 'the link has expired; ask for a new one',
    link_token_used: 'this link was already used',
    invalid_timezone: 'unknown time zone',
    field_not_allowed: 'some fields do not apply to this kind of account',
    admin_cannot_self_erase: 'an admin account is removed by another admin',
    cannot_change_self: 'an admin cannot deactivate their own account',
    // prescriptions
    free_tier_limit:
      'the free plan keeps up to 10 prescriptions: upgrade to Premium ($0.50 a month or $5 a year) to add more — see /api/v1/plans',
    not_owner: 'only the patient herself can do this',
    no_image: 'this prescription has no photo to read',
    no_medications: 'add at least one medication before confirming',
    no_dose_schedule: 'every medication needs a dose in at least one slot (morning, noon, evening, night)',
    reading_in_progress: 'the photo is still being read; try again in a moment',
    already_confirmed: 'this prescription is already confirmed',
    archived: 'this prescription is archived',
    multipart_required: 'send the photo as multipart/form-data in the field "image"',
    image_required: 'the photo must be in the multipart field "image"',
    one_image_only: 'send exactly one file, in the field "image"',
    invalid_multipart: 'the multipart body could not be read',
    file_too_large: 'the image is larger than 15 MB',
    empty_file: 'the image is empty',
    unsupported_image: 'send a JPEG, PNG or WebP photo of the prescription',
    too_many_pixels: 'the image is larger than 40 megapixels',
    corrupt_image: 'the image could not be read (damaged or incomplete file)',
    duplicate_prescription:
      'this photo was already uploaded; open the existing prescription, or upload again with ?allow_duplicate=true',
    // reminders and doses
    not_a_dose_time: "this time is not one of the reminder's dose times",
    dose_in_future: 'a dose more than 12 hours ahead cannot be recorded yet',
    no_dose_due: 'no dose of this reminder is due today',
    time_in_future: 'the time of the dose cannot be in the future',
    end_before_start: "the end date is before the reminder's start date",
    not_allowed: "changing this patient's reminders needs her permission",
    // care
    invitation_not_found: 'no open invitation has this code',
    invitation_expired: 'this invitation has expired; ask for a new code',
    invitation_wrong_role: 'this invitation is for the other side (a doctor invites a patient and the other way round)',
    invitation_self: 'you cannot accept your own invitation',
    relationship_exists: 'you are already connected (or the patient has blocked this doctor)',
    permissions_by_patient: 'the patient chooses the permissions',
    relationship_not_active: 'this care relationship is no longer active',
    // notifications, push, analytics
    live_unavailable: 'live notifications are not available on this server',
    push_endpoint_not_allowed: 'the endpoint must be an https URL of a browser push service',
    invalid_push_keys: 'the push subscription keys are not valid',
    too_many_push_subscriptions: 'too many devices receive push notifications; remove one first',
    server_event: 'this event is recorded by the server itself',
    // doctors' licences (src/admin, src/care)
    license_missing: 'this doctor has not given a licence number yet',
    license_changed: 'the licence number on the account is not the one checked',
    license_already_verified: 'another verified doctor holds this licence number',
    doctor_not_verified:
      "the doctor's licence has not been verified by an administrator yet; a care connection is possible only once it is",
    // AI assistant and reports
    ai_quota_exceeded: "this month's AI requests are used up; the quota renews next month",
    pdf_unavailable: 'the PDF cannot be made on this server (it needs Chromium)',
    premium_required: 'this is a Premium feature ($0.50 a month or $5 a year): see /api/v1/plans',
    // subscriptions and payments
    gateway_unavailable: 'the {{gateway}} payment method is not offered here (offered: {{offered}})',
    currency_not_supported: '{{gateway}} accepts only {{currencies}}',
    plan_not_purchasable: 'the free plan needs no payment',
    too_many_pending_payments: 'too many payments are waiting: finish the ones already started, or let them expire',
    gateway_error: 'the card payment page could not be opened; try again later',
    invalid_signature: 'the webhook signature does not verify',
    no_active_subscription: 'there is no paid subscription to cancel',
    not_refundable: 'only a completed payment can be refunded',
    not_paid: 'a receipt exists once the payment is completed',
    auto_renew_unavailable: '{{gateway}} cannot renew by itself: pay each period (a new KHQR each time)',
    already_renewing: 'Premium already renews by card each period; cancel it first to pay another way',
    refund_unavailable:
      "this payment cannot be refunded through its gateway from here: refund it in the gateway's dashboard",
    refund_failed: 'the payment gateway did not accept the refund; nothing was changed, try again later',
    // push, live stream
    push_endpoint_taken:
      'this browser is registered for another account; sign out there first, or subscribe again in the browser',
    invalid_ticket: 'the stream ticket is unknown, already used or expired; ask for a new one',
    // doses and own medicines
    reason_only_when_skipped: 'a reason is recorded only with a skipped dose',
    snoozed_until_only_when_snoozed: 'snoozed_until goes only with status "snoozed"',
    snooze_in_past: 'the snooze time must be later than now and than the dose time',
    snooze_past_grace: 'a dose can be snoozed until {{until}} at the latest (then it counts as missed)',
    invalid_start_date: 'the start date must lie between 1990-01-01 and one year from today',
    meal_conflict: 'a medicine is taken either before or after a meal, not both',
    invalid_range: '"from" is after "to"',
    range_too_long: 'at most 366 days at a time',
    not_as_needed: 'this medicine has a schedule: record its doses on its reminders',
    medication_stopped: 'this medicine was stopped',
  },
  resource: {
    resource: 'resource',
    account: 'account',
    user: 'user',
    patient: 'patient',
    prescription: 'prescription',
    image: 'image',
    reminder: 'reminder',
    session: 'session',
    notification: 'notification',
    push_subscription: 'push subscription',
    note: 'note',
    relationship: 'relationship',
    invitation: 'invitation',
    doctor: 'doctor',
    report: 'report',
    conversation: 'conversation',
    plan: 'plan',
    payment: 'payment',
    gateway: 'payment method',
    route: 'route',
    medication: 'medicine',
  },
  warning: {
    old_prescription:
      'this prescription is dated {{date}}, {{days}} days before the start ({{start}}): check it is still current, or give the day you began as start_date',
    treatment_already_over: "with this start date every medicine's course is already over: no reminder will ring",
  },
  slot: {
    morning: 'morning',
    noon: 'noon',
    evening: 'evening',
    night: 'night',
  },
  notification: {
    reminder: { title: 'Time for your {{slot}} medicine' },
    reminder_any: { title: 'Time for your medicine' },
    missed_dose: { title: 'Missed doses' },
    refill: { title: 'Time to refill your medicine' },
    prescription_ready: {
      title: 'Your prescription is ready to review',
      body: 'Check the medicines that were read, then confirm them.',
    },
    note_added: { title: 'New note from your doctor', body: 'Your doctor added a note to your record.' },
    invitation_accepted: { title: 'Invitation accepted', body: 'Your care invitation was accepted.' },
    relationship_ended: { title: 'Care relationship ended', body: 'A care relationship was ended.' },
    // subscriptions (src/billing); the amount and dates are data
    payment_completed: {
      title: 'Premium is active',
      body: 'Payment of {{amount}} received. Premium runs until {{until}}. Thank you.',
    },
    renewal_reminder: {
      title: 'Premium ends soon',
      body: 'Premium ends on {{until}}. Renew with a new KHQR or a card to keep it.',
    },
    subscription_ended: {
      title: 'Premium has ended',
      body: 'You are back on the free plan. Nothing was deleted: prescriptions beyond the first 10 stay readable and can be changed again after renewing.',
    },
    payment_refunded: {
      title: 'Payment refunded',
      body: 'Your payment was refunded and Premium has ended. Your data is kept.',
    },
    renewal_failed: {
      title: 'Card payment failed',
      body: 'The card payment to renew Premium did not go through. Premium runs until {{until}}; update your card or pay with a KHQR to keep it.',
    },
    // doctors' licences (src/admin)
    doctor_verified: {
      title: 'Your licence is verified',
      body: 'Your doctor account is verified: you can now invite patients.',
    },
    license_revoked: {
      title: 'Licence number removed',
      body: 'The licence number on your account belongs to another, verified doctor. Contact support if this is a mistake.',
    },
    // to a patient's doctors (src/safety): her name and a count, never a medicine
    safety_alert: {
      title: 'Medication safety alert',
      body: '{{patient}} confirmed a prescription with {{alerts}} serious safety alert(s). Please review it.',
    },
  },
  outgoing: {
    reminder: 'Time for your {{slot}} medicine',
    reminder_any: 'Time for your medicine',
    missed_dose: 'A patient has missed doses',
    prescription: 'Your prescription is ready to review',
    refill: 'Time to refill your medicine',
    invitation: 'You have a new invitation',
    message: 'You have a new message',
    generic: 'You have a new notification',
    open_app: 'Open DasTern to see the details.',
    why: 'You receive this e-mail because e-mail notifications are switched on in DasTern. You can switch them off in your settings.',
  },
  mail: {
    payment: {
      subject: 'DasTern: payment received, receipt {{receipt}}',
      intro: 'Thank you: we received {{amount}} for {{plan}}.',
      until: 'Premium runs until {{until}}.',
      receipt: 'Receipt number: {{receipt}}. The receipt (HTML or PDF) is in DasTern under Plans:',
      thanks: 'The DasTern team',
    },
    verification: {
      subject: 'DasTern: Confirm your e-mail address',
      intro: 'Open this link to confirm your e-mail address:',
      expiry: 'The link works once and expires in 48 hours.',
      ignore: 'If you did not create a DasTern account, ignore this message.',
    },
    reset: {
      subject: 'DasTern: Reset your password',
      intro: 'Open this link to choose a new password:',
      expiry: 'The link works once and expires in 1 hour; every signed-in device will be signed out.',
      ignore: 'If you did not ask for this, ignore this message: your password stays as it is.',
    },
  },
  // safety alerts (src/safety/messages.ts); effect.<code>: the effect codes of knowledge/interactions.json
  safety: {
    list: '{{rest}} and {{last}}',
    interaction: '{{drugs}}: {{effect}}. Ask your doctor or pharmacist before taking them together.',
    same_ingredient:
      '{{drugs}} contain the same medicine ({{ingredient}}): taking all of them multiplies the dose. Ask your doctor or pharmacist.',
    max_dose:
      '{{drugs}}: {{total}} mg of {{ingredient}} a day is above the usual adult maximum ({{max}} mg). Check with your doctor before taking it.',
    allergy: {
      same: '{{drug}} contains {{allergen}}, to which you are allergic. Do not take it; tell your doctor.',
      family:
        '{{drug}} belongs to the same family as {{allergen}}, to which you are allergic. Do not take it before asking your doctor.',
      cross:
        '{{drug}} can occasionally cause a reaction in people allergic to {{allergen}}. Ask your doctor before taking it.',
    },
    pregnancy: {
      contraindicated: '{{drug}} must not be taken during pregnancy.',
      avoid: '{{drug}} is usually avoided during pregnancy.',
      caution: '{{drug}} needs your doctor’s advice during pregnancy.',
      tell: 'Tell your doctor you are pregnant.',
    },
    breastfeeding: {
      contraindicated: '{{drug}} must not be taken while breast-feeding.',
      avoid: '{{drug}} is usually avoided while breast-feeding.',
      caution: '{{drug}} needs your doctor’s advice while breast-feeding.',
      tell: 'Tell your doctor you are breast-feeding.',
    },
    effect: {
      bleeding: 'risk of bleeding',
      qt: 'risk of a dangerous heart rhythm',
      serotonin: 'risk of serotonin syndrome (agitation, fever, shaking)',
      hypertension: 'risk of a very high blood pressure',
      cns_depression: 'strong drowsiness and slowed breathing',
      hyperkalemia: 'too much potassium in the blood',
      duplicate: 'two medicines of the same kind',
      angioedema: 'risk of swelling of the face and throat',
      kidney: 'risk of kidney damage',
      bradycardia: 'a heart beat that may become too slow',
      myopathy: 'risk of muscle damage',
      hypotension: 'risk of a sudden drop in blood pressure',
      hypoglycemia: 'risk of low blood sugar',
      absorption: 'one stops the other being absorbed: take them some hours apart',
      tendon: 'risk of tendon rupture',
      ototoxicity: 'risk of hearing and kidney damage',
      reduced_effect: 'one may stop the other from working',
      toxicity: 'the level of one may rise too high (poisoning)',
      increased_level: 'the level of one rises in the blood',
      ischemia: 'risk of narrowed blood vessels',
      cushing: 'risk of steroid side effects (Cushing syndrome)',
      seizures: 'risk of seizures',
      liver: 'risk of liver damage',
      rash: 'more skin rash',
      eps: 'risk of abnormal movements',
      disulfiram: 'flushing, vomiting and a racing heart',
      lactic_acidosis: 'risk of lactic acidosis',
      uterine: 'the womb may contract too strongly',
      ulcer: 'risk of an ulcer in the gut',
    },
  },
  // AI reports (src/ai/reports.ts)
  report: {
    title: {
      adherence: 'Adherence report',
      medication_summary: 'My medicines: summary for my doctor',
      risk: 'Risk report',
    },
    no_doses: 'No dose recorded in the last {{days}} days.',
    doses: 'Over {{days}} days you took {{taken}} of {{due}} doses ({{rate}}%).',
    medication_summary: 'You take {{count}} medicine(s). {{adherence}}',
    risk: '{{adherence}} Serious safety alerts: {{major}}.',
    risk_with_slot: '{{adherence}} Most often missed: {{slot}}. Serious safety alerts: {{major}}.',
    heading: {
      medicine: 'Medicine',
      use: 'Used for',
      schedule: 'Doses',
      taken: 'Taken',
      missed: 'Missed',
      alerts: 'Safety alerts',
      none: 'None',
      slots: 'By time of day',
    },
  },
} as const;
