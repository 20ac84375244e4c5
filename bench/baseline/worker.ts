/** The smallest Worker: the floor that `wrangler dev` on this machine puts under any route. */
export default {
  fetch: () => new Response('ok'),
} satisfies ExportedHandler;
