/** The Runefile as text (CodeMirror 6, YAML mode), in step with the canvas both ways. */
import { yaml } from '@codemirror/lang-yaml';
import { EditorView, basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import { store, useStudio } from '../lib/store';

export function YamlPane() {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const text = useStudio((s) => s.text);
  const origin = useStudio((s) => s.origin);
  const errors = useStudio((s) => s.yamlErrors);

  useEffect(() => {
    if (!host.current) return;
    const editor = new EditorView({
      doc: store.get().text,
      parent: host.current,
      extensions: [
        basicSetup,
        yaml(),
        EditorView.contentAttributes.of({ 'aria-label': 'Runefile (YAML)' }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && !update.transactions.some((t) => t.isUserEvent('studio.sync'))) {
            store.editText(update.state.doc.toString());
          }
        }),
      ],
    });
    view.current = editor;
    return () => editor.destroy();
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (!editor || origin === 'editor' || editor.state.doc.toString() === text) return;
    editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text }, userEvent: 'studio.sync' });
  }, [text, origin]);

  return (
    <section className="yaml-pane" aria-label="Runefile editor">
      <div ref={host} className="editor" data-testid="yaml-editor" />
      {errors.length > 0 && <div className="yaml-errors" role="alert">{errors.join('\n')}</div>}
    </section>
  );
}
