"""`junheng sample`: write a synthetic 学校表 / 县区表 of any size (engine.synth)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from engine.synth import MAX_COUNTIES, write_sample


@click.command("sample")
@click.option("--counties", type=click.IntRange(1, MAX_COUNTIES), default=100, show_default=True,
              help="县区数(每县 10–400 所学校,3000 个县约 20 万所学校)")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="随机种子:同一种子生成逐字节相同的文件")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="输出目录(写入 学校表.csv 与 县区表.csv,已有的同名文件会被覆盖)")
def sample_cmd(counties: int, seed: int, out_dir: Path) -> None:
    """生成合成数据:与真实统计口径一致的学校表和县区表(UTF-8 CSV),用于演示、测试与性能评估。

    \b
    数据是虚构的:各种办学类型、城区/镇区/乡村差异齐全,约一半县区有少数学校
    未达到一两项标准。列与示例县相同。
    例:junheng sample --counties 3000 --seed 1 -o 全国样例
        junheng eval --schools 全国样例/学校表.csv --counties 全国样例/县区表.csv
    """
    started = time.perf_counter()
    schools, county_path, data = write_sample(out_dir, counties, seed)
    seconds = time.perf_counter() - started
    click.echo(f"已写入 {schools}({data.n_schools} 所学校)和 {county_path}({data.n_counties} 个县区),"
               f"种子 {seed},用时 {seconds:.1f} 秒", err=True)
