/** A response body as loosely typed JSON, for assertions. */
export async function json(res: Response): Promise<any> {
  return res.json();
}

export interface Handler {
  handle(request: Request): Promise<Response>;
}
