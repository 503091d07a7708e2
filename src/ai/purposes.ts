/**
 * What a medicine of each lexicon class is generally used for, in km/en/fr: general
 * information (WHO ATC groups), never the reason the doctor chose it for this patient.
 */
import type { Language } from '../safety/messages.ts';

type P = Record<Language, string>;
const p = (en: string, fr: string, km: string): P => ({ en, fr, km });

export const CLASS_PURPOSE: Record<string, P> = {
  analgesic: p('relieves pain and fever', 'soulage la douleur et la fièvre', 'បំបាត់ការឈឺចាប់ និងគ្រុនក្តៅ'),
  nsaid: p(
    'relieves pain, inflammation and fever (an anti-inflammatory, NSAID)',
    'soulage la douleur, l’inflammation et la fièvre (anti-inflammatoire, AINS)',
    'បំបាត់ការឈឺចាប់ ការរលាក និងគ្រុនក្តៅ (ថ្នាំប្រឆាំងការរលាក)',
  ),
  opioid: p('relieves strong pain (an opioid)', 'soulage les douleurs fortes (opioïde)', 'បំបាត់ការឈឺចាប់ខ្លាំង (ថ្នាំអូពីអូអ៊ីត)'),
  anesthetic: p(
    'numbs or puts to sleep for a procedure (an anaesthetic)',
    'anesthésie pour un soin (anesthésique)',
    'ថ្នាំស្ពឹក ឬថ្នាំសន្លប់សម្រាប់ការព្យាបាល',
  ),
  'muscle-relaxant': p(
    'relaxes tense or painful muscles',
    'détend les muscles contractés ou douloureux',
    'បន្ធូរសាច់ដុំតឹង ឬឈឺ',
  ),
  antibiotic: p(
    'treats infections caused by bacteria (an antibiotic); take the whole course',
    'traite les infections dues à des bactéries (antibiotique) ; prenez tout le traitement',
    'ព្យាបាលការឆ្លងមេរោគបាក់តេរី (ថ្នាំអង់ទីប៊ីយោទិច)៖ សូមលេបឱ្យគ្រប់វគ្គ',
  ),
  antimycobacterial: p(
    'treats tuberculosis or leprosy; never stop it early',
    'traite la tuberculose ou la lèpre ; ne l’arrêtez jamais trop tôt',
    'ព្យាបាលជំងឺរបេង ឬឃ្លង់៖ កុំឈប់លេបមុនពេល',
  ),
  antiretroviral: p(
    'controls HIV; take it every day at the same time',
    'contrôle le VIH ; à prendre chaque jour à la même heure',
    'គ្រប់គ្រងមេរោគអេដស៍៖ សូមលេបរៀងរាល់ថ្ងៃ នៅម៉ោងដដែល',
  ),
  antiviral: p('treats infections caused by viruses', 'traite des infections dues à des virus', 'ព្យាបាលការឆ្លងមេរោគវីរុស'),
  antifungal: p('treats fungal infections', 'traite les infections à champignons (mycoses)', 'ព្យាបាលការឆ្លងមេរោគផ្សិត'),
  antimalarial: p(
    'treats or prevents malaria; take the whole course',
    'traite ou prévient le paludisme ; prenez tout le traitement',
    'ព្យាបាល ឬការពារជំងឺគ្រុនចាញ់៖ សូមលេបឱ្យគ្រប់វគ្គ',
  ),
  anthelmintic: p('treats worm infections', 'traite les vers intestinaux', 'ព្យាបាលព្រូន'),
  antiprotozoal: p(
    'treats infections by parasites such as amoebae or giardia',
    'traite les parasites comme les amibes ou les giardias',
    'ព្យាបាលការឆ្លងប៉ារ៉ាស៊ីត ដូចជាអាមីប',
  ),
  antidiabetic: p(
    'lowers blood sugar in diabetes',
    'fait baisser le sucre dans le sang (diabète)',
    'បន្ថយជាតិស្ករក្នុងឈាម (ជំងឺទឹកនោមផ្អែម)',
  ),
  insulin: p(
    'lowers blood sugar in diabetes (insulin)',
    'fait baisser le sucre dans le sang (insuline)',
    'បន្ថយជាតិស្ករក្នុងឈាម (អាំងស៊ុយលីន)',
  ),
  antihypertensive: p('lowers high blood pressure', 'fait baisser la tension artérielle', 'បន្ថយសម្ពាធឈាមខ្ពស់'),
  diuretic: p(
    'removes extra water and salt, lowers blood pressure',
    'élimine l’eau et le sel en trop, fait baisser la tension',
    'បញ្ចេញទឹក និងអំបិលលើស បន្ថយសម្ពាធឈាម',
  ),
  antianginal: p(
    'prevents or relieves chest pain from the heart (angina)',
    'prévient ou soulage la douleur cardiaque (angine de poitrine)',
    'ការពារ ឬបំបាត់ការឈឺទ្រូងពីបេះដូង',
  ),
  antiarrhythmic: p('keeps the heart beat regular', 'régularise les battements du cœur', 'ធ្វើឱ្យចង្វាក់បេះដូងទៀងទាត់'),
  cardiac: p('helps the heart work', 'aide le cœur à fonctionner', 'ជួយឱ្យបេះដូងដំណើរការ'),
  'lipid-lowering': p(
    'lowers cholesterol and protects the heart and vessels',
    'fait baisser le cholestérol et protège le cœur et les vaisseaux',
    'បន្ថយកូលេស្តេរ៉ុល និងការពារបេះដូង និងសរសៃឈាម',
  ),
  antiplatelet: p(
    'thins the blood to prevent clots, heart attack and stroke',
    'fluidifie le sang pour prévenir caillots, infarctus et AVC',
    'ការពារការកកឈាម គាំងបេះដូង និងដាច់សរសៃឈាមខួរក្បាល',
  ),
  anticoagulant: p(
    'prevents blood clots (a blood thinner); bleeding needs attention',
    'empêche les caillots (anticoagulant) ; surveillez les saignements',
    'ការពារការកកឈាម (ថ្នាំរំលាយឈាម)៖ ប្រយ័ត្នការហូរឈាម',
  ),
  hemostatic: p('helps stop bleeding', 'aide à arrêter un saignement', 'ជួយបញ្ឈប់ការហូរឈាម'),
  vasopressor: p(
    'raises very low blood pressure (hospital use)',
    'remonte une tension très basse (à l’hôpital)',
    'បង្កើនសម្ពាធឈាមទាបខ្លាំង (ប្រើនៅមន្ទីរពេទ្យ)',
  ),
  vasoprotective: p(
    'helps veins and small vessels (heavy legs, haemorrhoids)',
    'protège les veines (jambes lourdes, hémorroïdes)',
    'ជួយសរសៃវ៉ែន (ជើងធ្ងន់ ឬឬសដូងបាត)',
  ),
  'acid-suppressant': p(
    'reduces stomach acid (heartburn, ulcers)',
    'réduit l’acidité de l’estomac (brûlures, ulcères)',
    'បន្ថយជាតិអាស៊ីតក្នុងក្រពះ (ក្រហាយទ្រូង ដំបៅក្រពះ)',
  ),
  antacid: p(
    'neutralises stomach acid (heartburn)',
    'neutralise l’acidité de l’estomac (brûlures)',
    'បន្សាបជាតិអាស៊ីតក្នុងក្រពះ',
  ),
  antiemetic: p('stops nausea and vomiting', 'arrête les nausées et vomissements', 'បំបាត់ការចង់ក្អួត និងក្អួត'),
  antispasmodic: p(
    'relieves cramps of the stomach or gut',
    'soulage les spasmes et crampes du ventre',
    'បំបាត់ការរមួលក្រពះ ឬពោះវៀន',
  ),
  antidiarrheal: p('treats diarrhoea', 'traite la diarrhée', 'ព្យាបាលរាគ'),
  laxative: p('treats constipation', 'traite la constipation', 'ព្យាបាលទល់លាមក'),
  digestive: p(
    'helps digestion (bloating, gas)',
    'aide la digestion (ballonnements, gaz)',
    'ជួយការរំលាយអាហារ (ហើមពោះ ខ្យល់)',
  ),
  probiotic: p(
    'helps the gut’s good bacteria (diarrhoea)',
    'aide la flore intestinale (diarrhée)',
    'ជួយបាក់តេរីល្អក្នុងពោះវៀន',
  ),
  hepatoprotective: p('is given to support the liver', 'est donné pour soutenir le foie', 'ផ្តល់ដើម្បីជួយថ្លើម'),
  rehydration: p(
    'replaces water and salts lost in diarrhoea',
    'remplace l’eau et les sels perdus (diarrhée)',
    'ផ្តល់ទឹក និងអំបិលរ៉ែដែលបាត់បង់ពេលរាគ',
  ),
  bronchodilator: p('opens the airways (asthma, COPD)', 'ouvre les bronches (asthme, BPCO)', 'ពង្រីកផ្លូវដង្ហើម (ហឺត)'),
  corticosteroid: p(
    'calms inflammation and allergy (a corticosteroid)',
    'calme l’inflammation et l’allergie (corticoïde)',
    'បន្ថយការរលាក និងអាឡែហ្ស៊ី (ស្តេរ៉ូអ៊ីត)',
  ),
  antihistamine: p(
    'relieves allergy (itching, sneezing, rash)',
    'soulage l’allergie (démangeaisons, éternuements)',
    'បំបាត់អាឡែហ្ស៊ី (រមាស់ កណ្តាស់ កន្ទួល)',
  ),
  mucolytic: p(
    'loosens mucus so that coughing clears it',
    'fluidifie le mucus pour mieux tousser',
    'ធ្វើឱ្យស្លេស្មរាវ ងាយក្អកចេញ',
  ),
  antitussive: p('calms a dry cough', 'calme la toux sèche', 'បំបាត់ក្អកស្ងួត'),
  decongestant: p('unblocks the nose', 'débouche le nez', 'បំបាត់តឹងច្រមុះ'),
  vitamin: p('is a vitamin supplement', 'est un apport de vitamines', 'ជាវីតាមីនបំប៉ន'),
  mineral: p(
    'is a mineral supplement (calcium, zinc…)',
    'est un apport de minéraux (calcium, zinc…)',
    'ជាសារធាតុរ៉ែបំប៉ន (កាល់ស្យូម ស័ង្កសី…)',
  ),
  electrolyte: p('replaces salts such as potassium', 'remplace des sels comme le potassium', 'ផ្តល់អំបិលរ៉ែ ដូចជាប៉ូតាស្យូម'),
  'iv-fluid': p('is a drip fluid (hospital use)', 'est un soluté de perfusion (hôpital)', 'ជាទឹកសេរ៉ូម (ប្រើនៅមន្ទីរពេទ្យ)'),
  supplement: p('is a dietary supplement', 'est un complément', 'ជាអាហារបំប៉ន'),
  antiarthritic: p(
    'is used for joint pain (osteoarthritis)',
    'est utilisé pour les douleurs articulaires (arthrose)',
    'ប្រើសម្រាប់ឈឺសន្លាក់',
  ),
  antiosteoporotic: p('strengthens bones', 'renforce les os', 'ពង្រឹងឆ្អឹង'),
  antigout: p('treats or prevents gout', 'traite ou prévient la goutte', 'ព្យាបាល ឬការពារជំងឺគូត'),
  dmard: p(
    'calms the immune system (rheumatism, auto-immune disease)',
    'calme le système immunitaire (rhumatismes)',
    'បន្ថយប្រព័ន្ធភាពស៊ាំ (ជំងឺឆ្អឹងសន្លាក់)',
  ),
  antineoplastic: p(
    'treats cancer or prevents its return',
    'traite un cancer ou prévient sa récidive',
    'ព្យាបាលជំងឺមហារីក',
  ),
  anticonvulsant: p(
    'prevents seizures (also some nerve pain); never stop it suddenly',
    'prévient les crises (et certaines douleurs nerveuses) ; ne l’arrêtez jamais brutalement',
    'ការពារការប្រកាច់៖ កុំឈប់ភ្លាមៗ',
  ),
  antidepressant: p(
    'treats depression or anxiety',
    'traite la dépression ou l’anxiété',
    'ព្យាបាលជំងឺធ្លាក់ទឹកចិត្ត ឬការថប់បារម្ភ',
  ),
  antipsychotic: p('treats serious mental illness', 'traite des troubles psychiques sévères', 'ព្យាបាលជំងឺផ្លូវចិត្តធ្ងន់ធ្ងរ'),
  sedative: p(
    'calms anxiety or helps sleep; it can make you drowsy',
    'calme l’anxiété ou aide à dormir ; peut endormir',
    'បន្ថយការថប់បារម្ភ ឬជួយឱ្យគេងលក់៖ អាចធ្វើឱ្យងងុយគេង',
  ),
  antiparkinson: p('treats Parkinson’s disease', 'traite la maladie de Parkinson', 'ព្យាបាលជំងឺផាកឃីនសុន'),
  nootropic: p(
    'is given for memory or circulation in the brain',
    'est donné pour la mémoire ou la circulation cérébrale',
    'ផ្តល់សម្រាប់ការចងចាំ ឬចរន្តឈាមខួរក្បាល',
  ),
  antivertigo: p('relieves dizziness (vertigo)', 'soulage les vertiges', 'បំបាត់វិលមុខ'),
  urological: p('helps the bladder or prostate', 'agit sur la vessie ou la prostate', 'ជួយប្លោកនោម ឬក្រពេញប្រូស្តាត'),
  hormone: p('replaces or regulates a hormone', 'remplace ou régule une hormone', 'ជំនួស ឬគ្រប់គ្រងអ័រម៉ូន'),
  contraceptive: p('prevents pregnancy', 'évite une grossesse', 'ការពារការមានផ្ទៃពោះ'),
  uterotonic: p(
    'makes the womb contract (after birth, bleeding)',
    'fait contracter l’utérus (accouchement, saignement)',
    'ធ្វើឱ្យស្បូនកន្ត្រាក់ (ក្រោយសម្រាល)',
  ),
  thyroid: p(
    'treats a thyroid that works too much or too little',
    'traite une thyroïde trop ou pas assez active',
    'ព្យាបាលក្រពេញទីរ៉ូអ៊ីត',
  ),
  dermatological: p('treats the skin', 'soigne la peau', 'ព្យាបាលស្បែក'),
  ophthalmic: p('treats the eye', 'soigne l’œil', 'ព្យាបាលភ្នែក'),
  antiseptic: p(
    'disinfects skin, wounds or mouth',
    'désinfecte la peau, les plaies ou la bouche',
    'សម្លាប់មេរោគលើស្បែក របួស ឬមាត់',
  ),
  antidote: p('counters a poison or an overdose', 'combat un poison ou une surdose', 'ប្រឆាំងនឹងការពុល'),
  enzyme: p('is an enzyme (swelling, digestion)', 'est une enzyme (œdème, digestion)', 'ជាអង់ស៊ីម'),
};
