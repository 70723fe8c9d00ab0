export { serviceGraph, computeImpact, type Impact, type ServiceGraph } from './service-graph.ts';
export { listServices, getService } from './list-services.ts';
