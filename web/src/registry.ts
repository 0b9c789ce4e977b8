/** A name -> factory table that a caller copies to customise one rune (capabilities, handlers). */
export class Registry<F> {
  protected readonly factories: Map<string, F>;
  constructor(
    factories: Iterable<[string, F]> = [],
    private readonly what = "factory",
  ) {
    this.factories = new Map(factories);
  }
  /** Add a factory; replacing one needs `replace`. */
  register(key: string, factory: F, replace = false): void {
    if (this.factories.has(key) && !replace) throw new Error(`a ${this.what} for ${key} is already registered`);
    this.factories.set(key, factory);
  }
  get keys(): string[] {
    return [...this.factories.keys()];
  }
}
