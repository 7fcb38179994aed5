/** The original package's own gateway-event fixture, kept in the repository (behaviour.md §14, fixtures/original/SOURCE.md). */
export const REFERENCE_FIXTURE = new URL('../../fixtures/original/gateway-event.resume.example.json', import.meta.url);
