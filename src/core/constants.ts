/** Values that hold for the whole service, defined once. */

/**
 * The service's home time zone (Cambodia): an account's default, and the zone of the scheduled
 * jobs' cron expressions and the monthly figures. An account's own `timezone` wins where one is stored.
 */
export const HOME_TIMEZONE = 'Asia/Phnom_Penh';
