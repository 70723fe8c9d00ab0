export { createSilence } from './create-silence.ts';
export { listSilences } from './list-silences.ts';
export { expireSilence } from './expire-silence.ts';
export { loadActiveSilences, matchingSilence, type ActiveSilence } from './active-silences.ts';
export { createSilenceInput, listSilencesQuery, silenceView, type SilenceView } from './schemas.ts';
