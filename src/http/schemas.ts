/** The shared TypeBox schemas live in src/core/schemas.ts (services use them too); routes may import them from here. */
export * from '../core/schemas.ts';
