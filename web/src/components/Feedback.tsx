import { errorMessage } from '../api/client.ts';

/** An error from the server, as it said it. */
export function ErrorNote({ error, prefix }: { error: unknown; prefix?: string }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {prefix ? `${prefix}: ` : ''}
      {errorMessage(error)}
    </p>
  );
}

/** The result of an action that worked. */
export function DoneNote({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <p className="done" role="status">
      {text}
    </p>
  );
}
