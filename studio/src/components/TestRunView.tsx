/** Test run in the page: runs the compiled rune in the browser runtime (web/). */
import { useStudio } from '../lib/store';

export function TestRunView() {
  const compile = useStudio((s) => s.compile);
  return (
    <section className="testrun" aria-label="test run">
      <p className="hint">{compile?.ok ? 'The browser runtime is not wired into this build yet.' : 'Compile the pipeline first.'}</p>
    </section>
  );
}
