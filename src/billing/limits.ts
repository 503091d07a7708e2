/**
 * The free tier's refusals, for every domain that meets them: 402 with a stable code and a link
 * to the plans (`Link: </api/v1/plans>; rel="payment"`, and the path in the detail).
 */
import type { Tx } from '../db/database.ts';
import { ApiError } from '../core/errors.ts';
import { prescriptionIsWritable } from './queries.ts';

export const PLANS_PATH = '/api/v1/plans';
const LINK = { link: `<${PLANS_PATH}>; rel="payment"` };

export const freeTierLimit = (): ApiError =>
  new ApiError(
    402,
    'free_tier_limit',
    `the free plan keeps up to 10 prescriptions: upgrade to Premium ($0.50 a month or $5 a year) to add more — see ${PLANS_PATH}`,
    LINK,
  );

export const premiumRequired = (feature = 'this feature'): ApiError =>
  new ApiError(
    402,
    'premium_required',
    `${feature} is part of Premium ($0.50 a month or $5 a year) — see ${PLANS_PATH}`,
    LINK,
  );

const readOnly = (): ApiError =>
  new ApiError(
    402,
    'free_tier_limit',
    `this prescription is beyond the free plan's 10: it stays readable, and can be changed again after upgrading to Premium — see ${PLANS_PATH}`,
    LINK,
  );

/** In the caller's transaction: a free patient's prescriptions beyond the limit are read-only. */
export async function assertPrescriptionWritable(tx: Tx, prescriptionId: string): Promise<void> {
  if (!(await prescriptionIsWritable(tx, prescriptionId))) throw readOnly();
}
