import { useEffect } from 'react';
import { Link } from '../lib/router.tsx';

export function NotFound() {
  useEffect(() => {
    document.title = 'Not found · Firebreak';
  }, []);
  return (
    <>
      <h1>Page not found</h1>
      <p>
        Nothing lives at this address. <Link to="/incidents">Go to the incidents</Link>.
      </p>
    </>
  );
}
