export { serviceObjectives, listObjectives, type ServiceObjectives } from './objectives.ts';
