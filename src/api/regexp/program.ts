import { RegexpSyntaxError, type Assertion, type CharTest, type Node } from "./syntax.js";

/** Instructions of the NFA a pattern compiles to (Thompson's construction). */
export type Inst =
  | { readonly op: "char"; readonly test: CharTest }
  | { readonly op: "assert"; readonly what: Assertion }
  | { op: "split"; x: number; y: number }
  | { op: "jmp"; x: number }
  | { readonly op: "match" };

/** Bounds the program, so counted repeats cannot blow it up ("((a{1000}){1000})"). */
const MAX_PROGRAM = 20_000;

export class Compiler {
  readonly prog: Inst[] = [];

  emit(inst: Inst): number {
    if (this.prog.length >= MAX_PROGRAM) throw new RegexpSyntaxError("expression too large");
    this.prog.push(inst);
    return this.prog.length - 1;
  }

  compile(node: Node): void {
    switch (node.kind) {
      case "char":
        this.emit({ op: "char", test: node.test });
        return;
      case "assert":
        this.emit({ op: "assert", what: node.what });
        return;
      case "concat":
        for (const item of node.items) this.compile(item);
        return;
      case "alternate": {
        const jumps: { op: "jmp"; x: number }[] = [];
        node.items.forEach((item, i) => {
          if (i < node.items.length - 1) {
            const split = { op: "split" as const, x: 0, y: 0 };
            this.emit(split);
            split.x = this.prog.length;
            this.compile(item);
            const jmp = { op: "jmp" as const, x: 0 };
            this.emit(jmp);
            jumps.push(jmp);
            split.y = this.prog.length;
          } else {
            this.compile(item);
          }
        });
        for (const j of jumps) j.x = this.prog.length;
        return;
      }
      case "repeat": {
        for (let i = 0; i < node.min; i++) this.compile(node.node);
        if (node.max === Infinity) {
          const split = { op: "split" as const, x: 0, y: 0 };
          const at = this.emit(split);
          split.x = this.prog.length;
          this.compile(node.node);
          this.emit({ op: "jmp", x: at });
          split.y = this.prog.length;
          return;
        }
        const splits: { op: "split"; x: number; y: number }[] = [];
        for (let i = node.min; i < node.max; i++) {
          const split = { op: "split" as const, x: 0, y: 0 };
          this.emit(split);
          split.x = this.prog.length;
          splits.push(split);
          this.compile(node.node);
        }
        for (const s of splits) s.y = this.prog.length;
        return;
      }
    }
  }
}
