/** /safety: checks of a list of medicines (the review screen, before saving) and the knowledge base's figures. HTTP only. */
import { Type } from '@sinclair/typebox';
import { signedIn } from '../http/route-options.ts';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import { actorOf } from '../http/auth.ts';
import { AUTHED, problems } from '../http/schemas.ts';
import { DraftMedication } from '../prescriptions/types.ts';
import { knowledgeBase, loadKnowledgeIntoDb } from './knowledge.ts';
import { checkMedicines } from './service.ts';
import { SafetyAlerts } from './types.ts';
import { markPhase } from '../startup-phases.ts';

const CheckBody = Type.Object(
  { medications: Type.Array(DraftMedication, { minItems: 1, maxItems: 50 }) },
  { additionalProperties: false },
);

export async function safetyRoutes(app: App, s: Services): Promise<void> {
  const tags = ['safety'];

  // The knowledge base's files are the source; the database gets a copy (schema kb) at start.
  app.addHook('onReady', async () => {
    try {
      const loaded = await s.systemDb.withUser({ userId: null, role: 'system' }, (tx) => loadKnowledgeIntoDb(tx));
      if (loaded) s.logger.info({ version: knowledgeBase().version }, 'drug knowledge base loaded into the database');
      markPhase('knowledge base');
    } catch (err) {
      s.logger.warn({ err }, 'drug knowledge base not loaded into the database (the checks use the files)');
    }
  });

  app.post(
    '/safety/check',
    signedIn(
      s.requireAuth(['patient']),
      tags,
      'Safety checks (free) of medicines not saved yet, against my other active medicines, allergies and pregnancy',
      {
        body: CheckBody,
        response: { 200: Type.Object({ safety_alerts: SafetyAlerts }), ...problems(...AUTHED) },
      },
    ),
    async (request) => {
      const actor = actorOf(request);
      return {
        safety_alerts: await s.run(request, (tx) => checkMedicines(tx, actor.userId, request.body.medications)),
      };
    },
  );

  app.get(
    '/safety/knowledge',
    {
      schema: {
        tags,
        summary: 'The drug knowledge base: version and counts',
        response: {
          200: Type.Object({
            version: Type.String(),
            sha256: Type.String(),
            ingredients: Type.Integer(),
            interactions: Type.Integer(),
            sources: Type.Integer(),
          }),
        },
      },
    },
    async () => {
      const kb = knowledgeBase();
      return {
        version: kb.version,
        sha256: kb.sha256,
        ingredients: kb.ingredients.size,
        interactions: kb.interactions.length,
        sources: kb.sources.size,
      };
    },
  );
}
